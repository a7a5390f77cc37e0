// npm run bench:test-databases — what the test suite's scratch place costs PostgreSQL: a migrated
// template cloned and dropped 40 times (what 40 test files do), on disk (.data/, in the checkout) and in
// RAM (/dev/shm, tests/support/scratch.ts), alternating over three rounds on the same machine. Prints
// PostgreSQL's CPU-seconds for each (its processes plus the backends it has reaped) and the median ratio.
import { rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { databaseUrl, startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { migrateUp } from "../../lib/db/migrate";
import { ensureDatabase } from "../../lib/db/runtime";
import { freePort } from "../support/free-port";
import { clusterCpuSeconds } from "../support/postgres-processes";

const CLONES = Number(process.env.BENCH_CLONES ?? 40);
const ROUNDS = 3;

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
    const before = clusterCpuSeconds(dataDir);
    for (let i = 0; i < CLONES; i++) {
      await client.query(`CREATE DATABASE bench_clone_${i} TEMPLATE bench_template`);
      await client.query(`DROP DATABASE bench_clone_${i}`);
    }
    return clusterCpuSeconds(dataDir) - before;
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
