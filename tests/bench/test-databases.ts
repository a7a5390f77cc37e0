// npm run bench:test-databases — what the test suite's scratch place costs PostgreSQL: a migrated
// template cloned and dropped 40 times (what 40 test files do), on disk (.data/, in the checkout) and in
// RAM (/dev/shm, tests/support/scratch.ts), alternating over three rounds on the same machine. Prints
// PostgreSQL's CPU-seconds for each (its processes plus the backends it has reaped) and the median ratio.
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { databaseUrl, startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { migrateUp } from "../../lib/db/migrate";
import { ensureDatabase } from "../../lib/db/runtime";
import { freePort } from "../support/free-port";

const CLONES = Number(process.env.BENCH_CLONES ?? 40);
const ROUNDS = 3;
const TICKS_PER_SECOND = 100;

/** [pid, parent pid, CPU ticks of its own, ticks of the children it has reaped] of every process. */
function processes(): [number, number, number, number][] {
  const list: [number, number, number, number][] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat
        .slice(stat.lastIndexOf(")") + 2)
        .split(" ")
        .map(Number);
      list.push([Number(pid), f[1]!, f[11]! + f[12]!, f[13]! + f[14]!]);
    } catch {
      // Gone meanwhile.
    }
  }
  return list;
}

/** The CPU-seconds of the postmaster on `dataDir`, its live backends and those it has reaped. */
function postgresCpuSeconds(dataDir: string): number {
  const all = processes();
  const postmaster = all.find(([pid]) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(dataDir);
    } catch {
      return false;
    }
  });
  if (!postmaster) throw new Error(`no PostgreSQL running on ${dataDir}`);
  const backends = all.filter(([, parent]) => parent === postmaster[0]);
  return (postmaster[2] + postmaster[3] + backends.reduce((sum, b) => sum + b[2], 0)) / TICKS_PER_SECOND;
}

/** PostgreSQL's CPU-seconds for CLONES clone-and-drop cycles of a migrated template in `root`. */
async function cloneCost(root: string): Promise<number> {
  const dataDir = path.join(root, `rollgate-bench-clones-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), unsafeNoFsync: true });
  const client = new pg.Client({ connectionString: server.serverUrl });
  try {
    await ensureDatabase(server.serverUrl, "bench_template");
    await migrateUp(databaseUrl(server.serverUrl, "bench_template"));
    await client.connect();
    const before = postgresCpuSeconds(dataDir);
    for (let i = 0; i < CLONES; i++) {
      await client.query(`CREATE DATABASE bench_clone_${i} TEMPLATE bench_template`);
      await client.query(`DROP DATABASE bench_clone_${i}`);
    }
    return postgresCpuSeconds(dataDir) - before;
  } finally {
    await client.end().catch(() => {});
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const disk = path.resolve(".data");
const ram = "/dev/shm";
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const onDisk = await cloneCost(disk);
  const inRam = await cloneCost(ram);
  ratios.push(onDisk / inRam);
  console.log(`round ${round}: ${CLONES} clones cost PostgreSQL ${onDisk.toFixed(2)} CPU-s on disk, ${inRam.toFixed(2)} in RAM`);
}
console.log(`median: disk costs ${median(ratios).toFixed(1)}× the CPU of RAM`);
