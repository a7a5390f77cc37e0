// npm test — every test: unit, integration (real embedded PostgreSQL, real HTTP server) and
// end-to-end (real Chromium). Builds the app first because the HTTP and browser tests run the
// production server.
import { spawnSync } from "node:child_process";
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

function step(name: string, cmd: string, args: string[]): void {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`✖ ${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  console.log(`✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const only = process.argv[2];
step("prisma generate", "npx", ["--no-install", "tsx", "scripts/prisma-generate.ts"]);
step("typecheck", "npx", ["--no-install", "tsc", "--noEmit"]);
// One after the other: side by side they took longer in all on two cores (the build is multi-process).
if (only !== "unit") step("next build", "npx", ["--no-install", "next", "build"]);
if (!only || only === "unit" || only === "integration") {
  const report = "test-results/vitest.json";
  rmSync(report, { force: true });
  step("vitest", "npx", [
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
    console.error(`✖ vitest: ${result.numTotalTests} tests, ${result.numFailedTests} failed, success=${result.success}`);
    process.exit(1);
  }
}
if (!only || only === "e2e") step("playwright", "npx", ["--no-install", "playwright", "test"]);
