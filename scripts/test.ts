// npm test — every test: unit, integration (real embedded PostgreSQL, real HTTP server) and
// end-to-end (real Chromium). Builds the app first because the HTTP and browser tests run the
// production server.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { chromiumExecutable } from "../tests/support/find-browser";
import { freePort } from "../tests/support/free-port";

// Free ports for the browser tests' servers (one per Playwright worker, each with a Supabase Auth
// stand-in), so a busy 3100 on the machine cannot fail the run. E2E_PORT pins them instead.
const e2eWorkers = Number(process.env.E2E_WORKERS ?? 2);
// Asked for all at once, so no two are the same.
const ports = await Promise.all(Array.from({ length: 2 * e2eWorkers }, () => freePort()));
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  E2E_WORKERS: String(e2eWorkers),
  ...(process.env.E2E_PORT || process.env.E2E_PORTS
    ? {}
    : { E2E_PORTS: ports.slice(0, e2eWorkers).join(","), E2E_SUPABASE_PORTS: ports.slice(e2eWorkers).join(",") }),
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

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code || 1);
}

/** Runs one stage, printing its time; a failure ends the run with its exit code. */
async function step(name: string, cmd: string, args: string[]): Promise<void> {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: "inherit", env });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) fail(`✖ ${name} failed (exit ${code ?? signal})`, code ?? 1);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`✔ ${name} (${seconds} s)`);
  stages.push(`${name} ${seconds} s`);
}

await step("prisma generate", "npx", ["--no-install", "tsx", "scripts/prisma-generate.ts"]);
await step("typecheck", "npx", ["--no-install", "tsc", "--noEmit"]);
// One after the other: side by side they took longer in all on two cores (the build is multi-process).
if (only !== "unit") await step("next build", "npx", ["--no-install", "next", "build"]);

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
    fail(`✖ vitest: ${result.numTotalTests} tests, ${result.numFailedTests} failed, success=${result.success}`, 1);
  }
}
// After vitest, not beside it: side by side, the load pushed the integration tests' bounded database
// waits (2 s to acquire a connection) past their limit, so they answered 503.
if (!only || only === "e2e") await step("playwright", "npx", ["--no-install", "playwright", "test"]);
console.log(`\nStages: ${stages.join(", ")}; total ${((Date.now() - runStarted) / 1000).toFixed(1)} s`);
