// npm test — every test: unit, integration (real embedded PostgreSQL, real HTTP server) and
// end-to-end (real Chromium). Builds the app first because the HTTP and browser tests run the
// production server.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { chromiumExecutable } from "../tests/support/find-browser";
import { freePort } from "../tests/support/free-port";

// A free port for the browser tests' server, so a busy 3100 on the machine cannot fail the run.
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  E2E_PORT: process.env.E2E_PORT ?? String(await freePort()),
  E2E_SUPABASE_PORT: process.env.E2E_SUPABASE_PORT ?? String(await freePort()),
};

try {
  chromiumExecutable();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const runStarted = Date.now();
const only = process.argv[2];
const stages: string[] = [];

let browser: ReturnType<typeof startBrowserTests> | null = null;
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void fail(`✖ stopped (${signal})`, 130));

async function fail(message: string, code: number): Promise<never> {
  console.error(message);
  await browser?.stop();
  process.exit(code || 1);
}

/** Runs a stage in the foreground (async, so the browser tests' output keeps flowing meanwhile). */
async function step(name: string, cmd: string, args: string[]): Promise<void> {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: "inherit", env });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) await fail(`✖ ${name} failed (exit ${code ?? signal})`, code ?? 1);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`✔ ${name} (${seconds} s)`);
  stages.push(`${name} ${seconds} s`);
}

await step("prisma generate", "npx", ["--no-install", "tsx", "scripts/prisma-generate.ts"]);
await step("typecheck", "npx", ["--no-install", "tsc", "--noEmit"]);
// One after the other: side by side they took longer in all on two cores (the build is multi-process).
if (only !== "unit") await step("next build", "npx", ["--no-install", "next", "build"]);

// The browser tests run beside vitest: they mostly wait on the browser and their own server (about
// half a core), while vitest keeps both cores busy; one after the other, the browser stage added its
// whole length to the run. Their report is printed when they finish, so the two never interleave.
browser = !only || only === "e2e" ? startBrowserTests() : null;
if (!only || only === "unit" || only === "integration") {
  const report = "test-results/vitest.json";
  rmSync(report, { force: true });
  await step("vitest", "npx", [
    "--no-install",
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...(only ? ["--project", only] : []),
  ]);
  // Vitest can exit 0 after a configuration error that ran nothing; the report cannot lie about that.
  const result = JSON.parse(readFileSync(report, "utf8")) as { success: boolean; numTotalTests: number; numFailedTests: number };
  if (!result.success || result.numTotalTests === 0 || result.numFailedTests > 0) {
    await fail(`✖ vitest: ${result.numTotalTests} tests, ${result.numFailedTests} failed, success=${result.success}`, 1);
  }
}
if (browser) {
  const { code, output, seconds } = await browser.done;
  console.log("\n▶ playwright (ran beside vitest)");
  process.stdout.write(output);
  if (code !== 0) {
    await fail(`✖ playwright failed (exit ${code})`, code);
  }
  console.log(`✔ playwright (${seconds.toFixed(1)} s)`);
  stages.push(`playwright ${seconds.toFixed(1)} s`);
}
console.log(`\nStages: ${stages.join(", ")}; total ${((Date.now() - runStarted) / 1000).toFixed(1)} s`);

function startBrowserTests() {
  const started = Date.now();
  let output = "";
  // Its own process group, so stopping it also stops the web server it started.
  const child = spawn("npx", ["--no-install", "playwright", "test"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number; output: string; seconds: number }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 })),
  );
  return {
    done,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
      await done;
    },
  };
}
