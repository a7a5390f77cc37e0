// npm test — every test: unit, integration (real embedded PostgreSQL, real HTTP server) and
// end-to-end (real Chromium). Builds the app first because the HTTP and browser tests run the
// production server.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { chromiumExecutable } from "../tests/support/find-browser";
import { machineBusySeconds } from "../tests/support/file-cpu-reporter";
import { reservedPort } from "../tests/support/free-port";
import { TSC_7 } from "./typescript";
import { asBatch } from "./batch-scheduling";

const only = process.argv[2];
// Playwright's workers: two when the browser tests run alone (`npm run test:e2e`), one beside vitest.
// There the cores are busy throughout, and a second browser, server and database only add contention:
// two alternating pairs of whole runs took 778 and 703 machine CPU-s with two, 666 and 592 with one,
// and the browser tests still end with vitest. E2E_WORKERS sets it.
const e2eWorkers = Number(process.env.E2E_WORKERS ?? (only === "e2e" ? 2 : 1));
// Free ports for the browser tests' servers (one per Playwright worker, each with a Supabase Auth
// stand-in), so a busy 3100 on the machine cannot fail the run. E2E_PORT pins them instead.
// Picked below the kernel's ephemeral range: they are bound only after the build, and a port from
// listen(0) may meanwhile go to another test's server or connection.
const ports: number[] = [];
for (let i = 0; i < 2 * e2eWorkers; i++) ports.push(await reservedPort(new Set(ports)));
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
const busyAtStart = machineBusy();

/**
 * The machine's busy CPU-seconds so far (every process, /proc/stat), or null off Linux. With the
 * wall-clock total it tells a slow hour from slow code: on this shared two-core host the same suite
 * has taken 544 CPU-seconds in one hour and 706 in the next, so a run that took longer and more
 * CPU-seconds with the same code ran on a slower machine.
 */
function machineBusy(): number | null {
  try {
    return machineBusySeconds();
  } catch {
    return null;
  }
}
const stages: string[] = [];

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code || 1);
}

interface Stage {
  name: string;
  cmd: string;
  args: string[];
  /** Run under SCHED_BATCH (scripts/batch-scheduling.ts), with everything it starts. */
  batch?: boolean;
  /** Checks after a zero exit that the stage really did its work; a message fails the run. */
  verify?: () => string | null;
}

/** Runs one stage with its output on the terminal, printing its time; a failure ends the run. */
async function step(stage: Stage): Promise<void> {
  console.log(`\n▶ ${stage.name}`);
  const started = Date.now();
  const { cmd, args } = command(stage);
  const child = spawn(cmd, args, { stdio: "inherit", env });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) fail(`✖ ${stage.name} failed (exit ${code ?? signal})`, code ?? 1);
  const problem = stage.verify?.();
  if (problem) fail(`✖ ${stage.name}: ${problem}`, 1);
  done(stage.name, started);
}

function done(name: string, started: number) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`✔ ${name} (${seconds} s)`);
  stages.push(`${name} ${seconds} s`);
}

/**
 * Runs stages side by side. Each one's output is kept apart and printed whole when it ends, so the log
 * reads stage by stage; the first failure stops the others and ends the run with its exit code.
 */
async function together(list: Stage[]): Promise<void> {
  console.log(`\n▶ ${list.map((s) => s.name).join(" ‖ ")}`);
  const children = new Set<ChildProcess>();
  const stopAll = () => {
    // Each stage leads a process group of its own: the browsers and servers it started go with it.
    for (const child of children) if (child.pid && child.exitCode === null) tryKill(-child.pid);
  };
  process.once("SIGINT", () => (stopAll(), process.exit(130)));
  process.once("SIGTERM", () => (stopAll(), process.exit(143)));
  await Promise.all(
    list.map(async (stage) => {
      const started = Date.now();
      const { cmd, args } = command(stage);
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...env, FORCE_COLOR: "1" }, detached: true });
      children.add(child);
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
      children.delete(child);
      console.log(`\n──── ${stage.name} ────\n${output.trimEnd()}`);
      const problem = code !== 0 ? `failed (exit ${code ?? signal})` : stage.verify?.();
      if (problem) {
        stopAll();
        fail(`✖ ${stage.name} ${problem}`, code || 1);
      }
      done(stage.name, started);
    }),
  );
}

// vitest and everything it starts (workers, app servers, PostgreSQL) run under SCHED_BATCH, the
// browser tests as they are: the integration files are throughput (a worker, its server and their
// database hand each request back and forth), the browser tests latency (one worker, the tail when it
// waits). Four alternating pairs of whole runs on 2026-12-07: 315.3, 305.7, 343.8 and 308.2 s against
// 334.8, 366.4, 339.1 and 287.3 s as is (10 % fewer context switches), a median ratio of 0.98: within
// the machine's noise (docs/test-suite-time.md). Everything under SCHED_BATCH switched 30 %
// less but made the browser tests the tail: 320.5 and 357.6 s against 370.1 and 341.0.
// ROLLGATE_TEST_SCHED=normal runs every stage as is, =batch-all every stage under SCHED_BATCH.
const scheduling = process.env.ROLLGATE_TEST_SCHED ?? "batch-vitest";

function command(stage: Stage): { cmd: string; args: string[] } {
  const batch = scheduling === "batch-all" || (scheduling === "batch-vitest" && stage.batch);
  return batch ? asBatch(stage.cmd, stage.args) : { cmd: stage.cmd, args: stage.args };
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

const report = "test-results/vitest.json";
const vitest: Stage = {
  name: "vitest",
  batch: true,
  cmd: "npx",
  args: [
    "--no-install",
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...(only === "unit" || only === "integration" ? ["--project", only] : []),
  ],
  // Vitest can exit 0 after a configuration error that ran nothing; the report cannot lie about that.
  verify() {
    const result = JSON.parse(readFileSync(report, "utf8")) as { success: boolean; numTotalTests: number; numFailedTests: number };
    const ok = result.success && result.numTotalTests > 0 && result.numFailedTests === 0;
    return ok ? null : `${result.numTotalTests} tests, ${result.numFailedTests} failed, success=${result.success}`;
  },
};
// TypeScript 7, the native compiler: the same check in about 5 s where TypeScript 5.9 took 60–110 s of a
// core (tools/typescript-7 says why it is not the root's `tsc`).
const typecheck: Stage = {
  name: "typecheck",
  cmd: process.execPath,
  args: [TSC_7, "--noEmit"],
};
const playwright: Stage = { name: "playwright", cmd: "npx", args: ["--no-install", "playwright", "test"] };
rmSync(report, { force: true });

await step({ name: "prisma generate", cmd: "npx", args: ["--no-install", "tsx", "scripts/prisma-generate.ts"] });
if (only === "unit") {
  await step(typecheck);
  await step(vitest);
} else {
  // The HTTP and browser tests run the production build.
  await step({ name: "next build", cmd: "npx", args: ["--no-install", "next", "build"] });
  const wanted = only === "integration" ? [typecheck, vitest] : only === "e2e" ? [typecheck, playwright] : [typecheck, vitest, playwright];
  // Side by side: on two cores the suite is mostly waiting (servers starting, timers, a browser
  // rendering), so the stages fill each other's gaps. ROLLGATE_TEST_SERIAL=1 runs them one by one.
  if (process.env.ROLLGATE_TEST_SERIAL === "1") for (const stage of wanted) await step(stage);
  else await together(wanted);
}
const wall = (Date.now() - runStarted) / 1000;
const busyAtEnd = machineBusy();
const busy =
  busyAtStart !== null && busyAtEnd !== null
    ? `; the machine busy for ${(busyAtEnd - busyAtStart).toFixed(0)} CPU-s (${((busyAtEnd - busyAtStart) / wall).toFixed(2)} of ${availableParallelism()} cores)`
    : "";
console.log(`\nStages: ${stages.join(", ")}; total ${wall.toFixed(1)} s${busy}`);
