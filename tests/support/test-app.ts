import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface TestApp {
  url: string;
  stop(): Promise<void>;
}

/** Starts the real server process (scripts/start.ts, production build) against `databaseUrl`. */
export async function startTestApp(options: { databaseUrl: string; bootstrapTokens?: string; env?: Record<string, string> }): Promise<TestApp> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.resolve("scripts/start.ts")], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      PORT: "0",
      HOST: "127.0.0.1",
      ROLLGATE_DEMO: "off",
      ROLLGATE_SKIP_BUILD: "1",
      ROLLGATE_BOOTSTRAP_TOKENS: options.bootstrapTokens ?? "",
      NODE_ENV: "production",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = output.match(/listening on (http:\/\/\S+)/);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
