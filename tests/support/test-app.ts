import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { asAppRole } from "./app-role";
import { scratchRoot } from "./scratch";

export interface TestApp {
  url: string;
  /** The server process (to read its CPU time, or to signal it). */
  pid: number;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * With `control`: sends a test-control command (scripts/start.ts, acceptTestControl) and resolves
   * once the server says it is done, or rejects with what it said instead.
   */
  command(line: string): Promise<void>;
}

/**
 * Starts the real server process (scripts/start.ts as bundled by the global setup, production build). Without `databaseUrl` it boots
 * its embedded PostgreSQL (pass ROLLGATE_DATA_DIR and ROLLGATE_PG_PORT in `env`). With it (the
 * owner's URL), the app connects as the least-privileged rollgate_app role, as in production, and
 * migrates as the owner (DATABASE_MIGRATION_URL).
 */
export async function startTestApp(options: {
  databaseUrl?: string;
  /**
   * Both URLs exactly as an operator sets them (DATABASE_URL as the app, DATABASE_MIGRATION_URL as the
   * owner), instead of deriving the app's from `databaseUrl` with the test cluster's app password.
   */
  databaseUrls?: { app: string; migration: string };
  bootstrapTokens?: string;
  env?: Record<string, string>;
  /** The bundled server; the global setup's by default (outside vitest, e.g. the bench, pass one). */
  serverEntry?: string;
  /** Takes test-control commands on stdin (tests/support/server-pool.ts), and stops when stdin closes. */
  control?: boolean;
}): Promise<TestApp> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  // A data dir of its own (the server exports the audit anchor there) unless the test names one.
  const ownDataDir = options.env?.ROLLGATE_DATA_DIR ? null : mkdtempSync(path.join(scratchRoot(), "rollgate-app-"));
  // Source maps make the server's stack traces name lib/ files, but reading them costs a sixth of every
  // start: ROLLGATE_TEST_SOURCE_MAPS=1 turns them on to debug a failure.
  const sourceMaps = process.env.ROLLGATE_TEST_SOURCE_MAPS === "1" ? ["--enable-source-maps"] : [];
  // ROLLGATE_TEST_NODE_ARGS: more Node options for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" to profile it.
  const nodeArgs = (process.env.ROLLGATE_TEST_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...sourceMaps, ...nodeArgs, options.serverEntry ?? inject("serverEntry")], {
    env: {
      ...env,
      ...(options.databaseUrl ? { DATABASE_URL: asAppRole(options.databaseUrl), DATABASE_MIGRATION_URL: options.databaseUrl } : {}),
      ...(options.databaseUrls ? { DATABASE_URL: options.databaseUrls.app, DATABASE_MIGRATION_URL: options.databaseUrls.migration } : {}),
      PORT: "0",
      HOST: "127.0.0.1",
      ROLLGATE_DEMO: "off",
      ROLLGATE_SKIP_BUILD: "1",
      ROLLGATE_BOOTSTRAP_TOKENS: options.bootstrapTokens ?? "",
      NODE_ENV: "production",
      // Tests visit a few pages per server: loading all of them at start is wasted (next.config.ts).
      ROLLGATE_PRELOAD_PAGES: "0",
      // Patient bounds on database waits: the suite runs beside the browser tests on two cores, where a
      // connection or an answer can take seconds. database-hang.test.ts tests the default bounds.
      ROLLGATE_DB_CONNECT_TIMEOUT_MS: "10000",
      ROLLGATE_DB_STATEMENT_TIMEOUT_MS: "10000",
      ...(ownDataDir ? { ROLLGATE_DATA_DIR: ownDataDir } : {}),
      // Throwaway databases: speed over crash safety, unless a test asks for the default.
      ROLLGATE_PG_UNSAFE_NO_FSYNC: "1",
      // Throwaway accounts: a sign-in's scrypt at a 32nd of the cost (lib/auth/password.ts).
      ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "1",
      // The lines tests read are the human ones; a test of the JSON format asks for it.
      ROLLGATE_LOG_FORMAT: "pretty",
      // The tests' webhook receivers listen on 127.0.0.1 (webhooks.test.ts checks the default, deny).
      ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: "allow",
      ...(options.control ? { ROLLGATE_TEST_CONTROL: "stdin" } : {}),
      ...options.env,
    },
    stdio: [options.control ? "pipe" : "ignore", "pipe", "pipe"],
  });
  if (options.control) {
    // A warm server must not keep its test worker alive: the worker's exit closes stdin, which stops it.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onExit = (code: number | null) => fail(new Error(`server exited with ${code}:\n${output}`));
    function done() {
      clearTimeout(timer);
      listeners.delete(check);
      child.off("exit", onExit);
    }
    function fail(err: Error) {
      done();
      // A server that exited while starting (the start-up failure tests) leaves nothing behind.
      if (ownDataDir && child.exitCode !== null) rmSync(ownDataDir, { recursive: true, force: true });
      reject(err);
    }
    function check() {
      // The URL ends at a space or, in the JSON log format, at the closing quote.
      const m = output.match(/listening on (http:\/\/[^\s"]+)/);
      if (!m?.[1]) return;
      done();
      resolve(m[1].replace("localhost", "127.0.0.1"));
    }
    listeners.add(check);
    child.on("exit", onExit);
  });
  return {
    url,
    pid: child.pid!,
    output: () => output,
    command: (line) =>
      new Promise<void>((resolve, reject) => {
        if (!child.stdin || child.exitCode !== null) return reject(new Error(`the server cannot take "${line}": no control, or it exited`));
        const from = output.length;
        const verb = line.split(" ")[0]!;
        const timer = setTimeout(() => finish(new Error(`no answer to "${verb}" in 60 s:\n${output.slice(from)}`)), 60_000);
        const onExit = (code: number | null) => finish(new Error(`server exited with ${code} during "${verb}":\n${output.slice(from)}`));
        function finish(err?: Error) {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
          if (err) reject(err);
          else resolve();
        }
        function check() {
          const said = output.slice(from);
          if (new RegExp(`test control: ${verb}ed\\b`).test(said)) finish();
          else if (said.includes(`test control: ${verb} failed`)) finish(new Error(said.trim()));
        }
        listeners.add(check);
        child.on("exit", onExit);
        child.stdin.write(`${line}\n`);
      }),
    stop: (signal = "SIGTERM") =>
      new Promise<number | null>((resolve) => {
        const done = (code: number | null) => {
          if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
          resolve(code);
        };
        if (child.exitCode !== null) return done(child.exitCode);
        child.once("exit", done);
        child.kill(signal);
      }),
  };
}
