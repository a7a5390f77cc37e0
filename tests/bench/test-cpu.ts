// npm run bench:test-cpu — where the integration files' CPU goes: they run one after another in a single
// worker, and each file is charged the machine's CPU-seconds from its being queued to its end (its worker,
// server processes and PostgreSQL; tests/support/file-cpu-reporter.ts). Prints the files by CPU, most
// first, and what they add up to. Run `npx next build` first (the files run the production server).
// Alone on the machine the figures are the files' own; other tenants' work shows up in all of them.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import type { FileCpu } from "../support/file-cpu-reporter";
import { scratchPath } from "../support/scratch";

if (!existsSync(".next/BUILD_ID")) {
  console.error("No production build: run `npx next build` first.");
  process.exit(1);
}
const report = scratchPath(`file-cpu-${process.pid}.json`);
const run = spawnSync(
  "npx",
  ["--no-install", "vitest", "run", "--project", "integration", "--reporter=dot", "--reporter=./tests/support/file-cpu-reporter.ts"],
  { stdio: "inherit", env: { ...process.env, ROLLGATE_TEST_WORKERS: "1", ROLLGATE_FILE_CPU_REPORT: report } },
);
if (!existsSync(report)) {
  console.error(`vitest wrote no report (exit ${run.status ?? run.signal})`);
  process.exit(1);
}
const files = (JSON.parse(readFileSync(report, "utf8")) as FileCpu[]).sort((a, b) => b.cpuSeconds - a.cpuSeconds);
rmSync(report, { force: true });
const total = files.reduce((n, f) => n + f.cpuSeconds, 0);
const wall = files.reduce((n, f) => n + f.wallSeconds, 0);
console.log(`\n${files.length} files: ${total.toFixed(0)} CPU-s in ${wall.toFixed(0)} s, one after another\n`);
console.log("CPU-s   share   wall s  tests  file");
let cumulative = 0;
for (const f of files) {
  cumulative += f.cpuSeconds;
  console.log(
    `${f.cpuSeconds.toFixed(1).padStart(5)}  ${((100 * cumulative) / total).toFixed(0).padStart(4)} %  ${f.wallSeconds.toFixed(1).padStart(6)}  ${String(f.tests).padStart(5)}  ${f.file}`,
  );
}
if (run.status !== 0) process.exit(run.status ?? 1);
