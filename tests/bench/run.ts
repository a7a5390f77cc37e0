// npm run bench — prints the figures recorded in README.md. Needs a production build (`npm run build`).
//  1. local SDK evaluation (ns/evaluation, evaluations/s on one core)
//  2. OFREP single-flag HTTP against the production server, 64 connections on loopback
//  3. change propagation: PATCH → SDK sees the new version, 1 instance and 3 instances on one database
//  4. event ingestion throughput over HTTP
//  5. metrics endpoint: a 24 h window at 1-minute buckets over rollups of BENCH_METRICS_EVENTS events (default 1 M)
//  6. kill switch: kill API call → an SDK serves off
//  7. summary ingestion from 50 simulated SDKs
//  8. fan-out: 10,000 flags, 5,000 SSE clients on one instance, one flag changed (BENCH_FANOUT_FLAGS, BENCH_FANOUT_CLIENTS)
//  9. dashboard: /flags, search, the flags API and the audit page at 10,000 flags, then the overview and the
//     rollouts API with 50 live rollouts (tests/bench/dashboard.ts)
import net from "node:net";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { compileSnapshot } from "../../lib/domain/config-snapshot";
import { evaluate } from "../../lib/domain/evaluation";
import { databaseUrl, startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { ensureDatabase } from "../../lib/db/runtime";
import { migrateUp } from "../../lib/db/migrate";
import pgLib from "pg";
import { TEST_APP_ROLE_PASSWORD } from "../support/app-role";
import { RollgateClient } from "../../lib/sdk";
import { freePort } from "../support/free-port";
import { startTestApp, type TestApp } from "../support/test-app";
import { bundleScripts } from "../support/server-bundle";
import { call } from "../support/http";
import { benchDashboard } from "./dashboard";
import { benchTargeting } from "./targeting";

const only = process.argv[2];
const ENG = "bench-engineer-token";
const SDK = "bench-sdk-production";
const ONCALL = "bench-oncall-token";
const ADMIN = "bench-admin-token";
const BOOT = `bench:engineer:${ENG},pager:oncall:${ONCALL},boss:admin:${ADMIN},sdk:production:${SDK}`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function benchLocalEvaluation(): void {
  const flags: Record<string, { enabled: boolean; killed: boolean; rolloutPercent: number; allowlist: string[]; version: number }> = {};
  for (let i = 0; i < 50; i++)
    flags[`flag-${i}`] = { enabled: true, killed: false, rolloutPercent: (i * 7) % 100, allowlist: [`qa-${i}`], version: 1 };
  const snapshot = compileSnapshot({ environment: "production", version: 1, flags });
  const flag = snapshot.flags.get("flag-7")!; // 49 %: every evaluation hashes
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i * 7919}`);
  let on = 0;
  for (let i = 0; i < 200_000; i++) if ((evaluate(flag, keys[i % keys.length]) as { value?: boolean }).value) on++; // warm-up
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const n = 2_000_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const f = snapshot.flags.get("flag-7")!;
      if ((evaluate(f, keys[i % 10_000]) as { value?: boolean }).value) on++;
    }
    runs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  const best = Math.min(...runs);
  const median = runs.sort((a, b) => a - b)[2]!;
  console.log(`\n1. Local SDK evaluation (lookup + murmur3 bucket, 49 % split, ASCII keys)`);
  console.log(
    `   median ${fmt(median, 1)} ns/evaluation → ${fmt(1e9 / median)} evaluations/s on one core (best ${fmt(best, 1)} ns); checksum ${on}`,
  );
}

async function withCluster(instances: number, fn: (apps: TestApp[], databaseUrl: string) => Promise<void>): Promise<void> {
  const dataDir = path.resolve(".data", `bench-${process.pid}`);
  await rm(dataDir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  const apps: TestApp[] = [];
  // Removed with the data directory below, as the tests' global setup removes its own.
  const bundleDir = path.resolve(".data", `bench-${process.pid}-server`);
  try {
    await ensureDatabase(pg.serverUrl, "bench");
    const url = databaseUrl(pg.serverUrl, "bench");
    // The servers connect as the least-privileged app role, as in production (see tests/support).
    await migrateUp(url);
    const admin = new pgLib.Client({ connectionString: pg.serverUrl });
    await admin.connect();
    await admin.query(`ALTER ROLE rollgate_app LOGIN PASSWORD '${TEST_APP_ROLE_PASSWORD}'`);
    await admin.end();
    // Outside vitest there is no global setup to bundle the server: bundle it here.
    const serverEntry = (await bundleScripts(bundleDir, ["start"])).start;
    apps.push(await startTestApp({ databaseUrl: url, bootstrapTokens: BOOT, serverEntry }));
    for (let i = 1; i < instances; i++) apps.push(await startTestApp({ databaseUrl: url, bootstrapTokens: BOOT, serverEntry }));
    const first = apps[0]!;
    await call(first.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "bench-flag" } });
    await call(first.url, "PATCH", "/api/v1/flags/bench-flag/environments/production", {
      token: ENG,
      body: { version: 1, enabled: true, rolloutPercent: 50 },
    });
    await new Promise((r) => setTimeout(r, 300));
    await fn(apps, url);
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await pg.stop();
    await Promise.all([dataDir, bundleDir].map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** 64 connections of single-flag OFREP evaluations, each for a random user, against `baseUrl`. */
const ofrepLoad = (baseUrl: string, duration: number) =>
  autocannon({
    url: `${baseUrl}/ofrep/v1/evaluate/flags/bench-flag`,
    method: "POST",
    connections: 64,
    duration,
    headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ context: { targetingKey: `user-${Math.floor(Math.random() * 1e6)}` } }),
        }),
      },
    ],
  });

async function benchOfrep(): Promise<void> {
  await withCluster(1, async ([app]) => {
    await ofrepLoad(app!.url, 2); // warm-up
    const cpuBefore = processCpuMs(app!.pid);
    const result = await ofrepLoad(app!.url, 10);
    const serverUs = ((processCpuMs(app!.pid) - cpuBefore) * 1000) / result.requests.total;
    // The yardstick, in the same run: a bare node:http server in its own process that reads the same
    // body, parses it and answers a fixed OFREP-shaped JSON, with no auth, lookup or evaluation.
    const bare = await startBareJsonServer();
    let baseline: autocannon.Result;
    let bareUs: number;
    try {
      await ofrepLoad(bare.url, 2);
      const bareBefore = processCpuMs(bare.pid);
      baseline = await ofrepLoad(bare.url, 10);
      bareUs = ((processCpuMs(bare.pid) - bareBefore) * 1000) / baseline.requests.total;
    } finally {
      bare.stop();
    }
    console.log(`\n2. OFREP single-flag evaluation over HTTP (production server, autocannon, 64 connections, 10 s, loopback)`);
    console.log(
      `   ${fmt(result.requests.average)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ${result.non2xx} non-2xx, ${result.errors} errors`,
    );
    console.log(
      `   a bare node:http JSON server in the same run: ${fmt(baseline.requests.average)} req/s, p99 ${baseline.latency.p99} ms → OFREP at ${fmt(result.requests.average / baseline.requests.average, 2)}× of it`,
    );
    // Throughput shares two cores with the load generator, so it moves with whatever else runs; the
    // server's own CPU time per answer does not depend on its share of the machine.
    console.log(
      `   server CPU per evaluation: ${fmt(serverUs, 1)} µs (the bare server: ${fmt(bareUs, 1)} µs per answer → ${fmt(serverUs / bareUs, 2)}× its cost)`,
    );
  });
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime (fields 14 and 15 of stat, counted from the state field here) in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A bare node:http server in a process of its own (as the app has), answering every POST with fixed JSON. */
async function startBareJsonServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const source = `
    const http = require("node:http");
    const answer = JSON.stringify({ key: "bench-flag", value: true, reason: "SPLIT", variant: "on", metadata: {} });
    http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        JSON.parse(body);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
        res.end(answer);
      });
    }).listen(0, "127.0.0.1", function () { console.log("port " + this.address().port); });`;
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill() };
}

async function benchPropagation(instances: number, changes = 200): Promise<void> {
  await withCluster(instances, async (apps) => {
    const writer = apps[0]!;
    const clients = await Promise.all(apps.map((a) => RollgateClient.connect({ url: a.url, sdkKey: SDK })));
    try {
      const samples: number[] = [];
      const roundTrips: number[] = [];
      let version = (await call(writer.url, "GET", "/api/v1/flags/bench-flag", { token: ENG })).body.environments.production
        .version as number;
      for (let i = 0; i < changes; i++) {
        const target = clients.map((c) => (c.version ?? 0) + 1);
        const seen = clients.map(
          (c, idx) =>
            new Promise<number>((resolve) => {
              const off = c.onChange(({ version: v }) => {
                if (v >= target[idx]!) {
                  off();
                  resolve(performance.now());
                }
              });
            }),
        );
        const t0 = performance.now();
        const res = await call(writer.url, "PATCH", "/api/v1/flags/bench-flag/environments/production", {
          token: ENG,
          body: { version, rolloutPercent: i % 100 },
        });
        roundTrips.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`PATCH failed: ${res.status}`);
        version = res.body.version;
        const times = await Promise.all(seen);
        samples.push(Math.max(...times) - t0);
      }
      samples.sort((a, b) => a - b);
      roundTrips.sort((a, b) => a - b);
      console.log(
        `\n3. Change propagation, ${instances} instance(s): PATCH sent → ${clients.length} SDK client(s) (one per instance) all see the new version, ${changes} changes`,
      );
      console.log(
        `   p50 ${fmt(percentile(samples, 50), 1)} ms, p99 ${fmt(percentile(samples, 99), 1)} ms, max ${fmt(samples.at(-1)!, 1)} ms (PATCH round trip alone: p50 ${fmt(percentile(roundTrips, 50), 1)} ms, p99 ${fmt(percentile(roundTrips, 99), 1)} ms)`,
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
}

async function benchIngestion(): Promise<void> {
  await withCluster(1, async ([app]) => {
    // The worst case: the flag keeps every raw event (raw rows are opt-in and off by default).
    await call(app!.url, "PATCH", "/api/v1/flags/bench-flag", { token: ENG, body: { rawEventSamplePercent: 100 } });
    const batch = JSON.stringify({
      events: Array.from({ length: 5000 }, (_, i) => ({
        flagKey: "bench-flag",
        variant: i % 2 ? "on" : "off",
        outcome: i % 50 ? "success" : "error",
        errorCode: i % 50 ? undefined : "E_BENCH",
        latencyMs: (i * 37) % 1200,
        targetingKey: `user-${i}`,
      })),
    });
    const post = async () => {
      const res = await fetch(`${app!.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
        body: batch,
      });
      if (res.status !== 202) throw new Error(`ingest failed: ${res.status}`);
      await res.arrayBuffer();
    };
    await post(); // warm-up
    const batches = 40;
    const concurrency = 4;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches) {
          next++;
          await post();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `\n4. Event ingestion: POST /api/v1/events, ${batches} batches of 5,000, ${concurrency} in flight (per-minute rollups + every raw row, the flag's sampling at 100 %, one statement)`,
    );
    console.log(`   ${fmt((batches * 5000) / seconds)} events/s (${fmt((seconds * 1000) / batches, 1)} ms per batch)`);
  });
}

async function benchMetrics(): Promise<void> {
  const total = Number(process.env.BENCH_METRICS_EVENTS ?? 1_000_000);
  await withCluster(1, async ([app], databaseUrl) => {
    // Events spread evenly over every minute of the last 24 h, both variants in each minute, so the
    // flag has the rollup rows a day of steady traffic leaves (1,440 minutes × 2 variants); more events
    // per minute only raise the counts in those rows, not their number.
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const start = end - 24 * 3600_000;
    const perMinute = total / 1440;
    const batchSize = 5000;
    const batches = Math.ceil(total / batchSize);
    const body = (b: number) =>
      JSON.stringify({
        events: Array.from({ length: Math.min(batchSize, total - b * batchSize) }, (_, j) => {
          const i = b * batchSize + j;
          const minute = Math.min(1439, Math.floor(i / perMinute));
          return {
            flagKey: "bench-flag",
            variant: i % 2 ? "on" : "off",
            outcome: i % 50 ? "success" : "error",
            errorCode: i % 50 ? undefined : i % 100 ? "E_TIMEOUT" : "E_DB",
            latencyMs: ((i * 37) % 1200) + (i % 2 ? 20 : 0),
            targetingKey: `user-${i % 100_000}`,
            timestamp: new Date(start + minute * 60_000 + (i % 60) * 1000).toISOString(),
          };
        }),
      });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches) {
          const b = next++;
          const res = await fetch(`${app!.url}/api/v1/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
            body: body(b),
          });
          if (res.status !== 202) throw new Error(`ingest failed: ${res.status}`);
          await res.arrayBuffer();
        }
      }),
    );
    const ingestSeconds = (performance.now() - t0) / 1000;
    // The steady state minutes after a burst: what autovacuum would otherwise still be doing on both
    // cores during the measurement is done first.
    const owner = new pgLib.Client({ connectionString: databaseUrl });
    await owner.connect();
    await owner.query("VACUUM (ANALYZE)");
    await owner.end();
    const url = `${app!.url}/api/v1/flags/bench-flag/metrics?environment=production&windowSeconds=86400&bucketSeconds=60`;
    // Endpoint latency: request sent → the last byte of the answer received. Parsing ~0.9 MB of JSON
    // in the client is the client's time, measured separately.
    let parseMs = 0;
    // A plain node:http client with keep-alive, as a dashboard's browser would hold the connection;
    // undici's fetch spends several ms of its own on a 0.9 MB body.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = async () => {
      const started = performance.now();
      const { status, body } = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        http
          .get(url, { agent, headers: { authorization: `Bearer ${ENG}` } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
            res.on("error", reject);
          })
          .on("error", reject);
      });
      const ms = performance.now() - started;
      if (status !== 200) throw new Error(`metrics failed: ${status}`);
      const parsing = performance.now();
      const json = JSON.parse(new TextDecoder().decode(body)) as { series: { requests: number }[] };
      parseMs = performance.now() - parsing;
      return { ms, points: json.series.length, requests: json.series.reduce((a, p) => a + p.requests, 0) };
    };
    for (let i = 0; i < 20; i++) await get(); // warm-up
    // Live traffic meanwhile: a service keeps reporting 1,000 events/s for the flag, so the current
    // bucket keeps changing and every notification (two a second) sends the next read to the rollups.
    let sending = true;
    let liveSent = 0;
    const live = (async () => {
      while (sending) {
        const res = await fetch(`${app!.url}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
          body: JSON.stringify({
            events: Array.from({ length: 100 }, (_, i) => ({
              flagKey: "bench-flag",
              variant: i % 2 ? "on" : "off",
              outcome: "success",
              latencyMs: 20 + i,
              targetingKey: `live-${i}`,
            })),
          }),
        });
        if (res.status !== 202) throw new Error(`ingest failed: ${res.status}`);
        await res.arrayBuffer();
        liveSent += 100;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const times: number[] = [];
    let last = { points: 0, requests: 0 };
    const measureStart = performance.now();
    for (let i = 0; i < 300; i++) {
      const r = await get();
      times.push(r.ms);
      last = r;
    }
    const measureSeconds = (performance.now() - measureStart) / 1000;
    sending = false;
    await live;
    times.sort((a, b) => a - b);
    // Cold reads: a late event from the window's first minute reopens every bucket after it, so the
    // next read has nothing cached and reads the whole day of rollups again.
    const cold: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${app!.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
        body: JSON.stringify({
          events: [
            { flagKey: "bench-flag", variant: "on", outcome: "success", latencyMs: 10, timestamp: new Date(start + 30_000).toISOString() },
          ],
        }),
      });
      if (res.status !== 202) throw new Error(`ingest failed: ${res.status}`);
      await new Promise((r) => setTimeout(r, 800)); // the notification is throttled to 2 per second
      cold.push((await get()).ms);
    }
    cold.sort((a, b) => a - b);
    console.log(
      `\n5. Metrics endpoint: GET /api/v1/flags/{key}/metrics, 24 h window at 1-minute buckets, ${fmt(total)} events ingested (${fmt(ingestSeconds, 1)} s), 300 sequential requests while live traffic keeps arriving (${fmt(liveSent / measureSeconds)} events/s)`,
    );
    console.log(
      `   p50 ${fmt(percentile(times, 50), 1)} ms, p95 ${fmt(percentile(times, 95), 1)} ms, p99 ${fmt(percentile(times, 99), 1)} ms; ${fmt(last.points)} points, ${fmt(last.requests)} requests in the window (client JSON.parse of the answer: ${fmt(parseMs, 1)} ms more)`,
    );
    console.log(
      `   cold (every bucket reopened by a late event first, 20 reads): p50 ${fmt(percentile(cold, 50), 1)} ms, p95 ${fmt(percentile(cold, 95), 1)} ms`,
    );
  });
}

console.log(
  `Rollgate benchmarks — ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
/** Kill clicked (the API call sent) → an SDK client evaluates `off`; then restore, and again. */
async function benchKill(rounds = 100): Promise<void> {
  await withCluster(1, async ([app]) => {
    const client = await RollgateClient.connect({ url: app!.url, sdkKey: SDK });
    try {
      const flag = await call(app!.url, "GET", "/api/v1/flags/bench-flag", { token: ENG });
      await call(app!.url, "PATCH", "/api/v1/flags/bench-flag/environments/production", {
        token: ENG,
        body: { version: flag.body.environments.production.version, enabled: true, rolloutPercent: 100 },
      });
      await new Promise((r) => setTimeout(r, 200));
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const off = new Promise<number>((resolve) => {
          const stop = client.onChange(() => {
            if (!client.isEnabled("bench-flag", "user-1", true)) {
              stop();
              resolve(performance.now());
            }
          });
        });
        const t0 = performance.now();
        const res = await call(app!.url, "POST", "/api/v1/flags/bench-flag/environments/production/kill", {
          token: ONCALL,
          body: { reason: `bench ${i}` },
        });
        if (res.status !== 200) throw new Error(`kill failed: ${res.status}`);
        samples.push((await off) - t0);
        const on = new Promise<void>((resolve) => {
          const stop = client.onChange(() => {
            if (client.isEnabled("bench-flag", "user-1", false)) {
              stop();
              resolve();
            }
          });
        });
        await call(app!.url, "POST", "/api/v1/flags/bench-flag/environments/production/restore", {
          token: ONCALL,
          body: { reason: "bench" },
        });
        await on;
      }
      samples.sort((a, b) => a - b);
      console.log(`\n6. Kill switch: kill API call sent → an SDK client serves off, ${rounds} kills (each opens or joins an incident)`);
      console.log(
        `   p50 ${fmt(percentile(samples, 50), 1)} ms, p99 ${fmt(percentile(samples, 99), 1)} ms, max ${fmt(samples.at(-1)!, 1)} ms`,
      );
    } finally {
      await client.close();
    }
  });
}

/**
 * 50 simulated SDK instances report through summaries, as the SDK does by default: every 10 s each
 * sends one summary per flag, variant and minute. Measures the evaluations the summaries stand for
 * per second of wall time, and checks the rollups hold exactly what was sent.
 */
async function benchSummaries(): Promise<void> {
  await withCluster(1, async ([app], databaseUrl) => {
    const flags = Array.from({ length: 20 }, (_, i) => `sum-flag-${i}`);
    for (const key of flags) await call(app!.url, "POST", "/api/v1/flags", { token: ENG, body: { key } });
    await new Promise((r) => setTimeout(r, 300));
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    const sdks = 50;
    const rounds = 20; // each round stands for one 10 s interval of every SDK
    const perSummary = 2_500; // evaluations per flag and variant in an interval: 250/s per flag per SDK
    const buckets = Array.from({ length: 20 }, (_, i) => (i < 10 ? perSummary / 10 : 0));
    const body = JSON.stringify({
      summaries: flags.flatMap((flagKey) =>
        (["on", "off"] as const).map((variant) => ({
          flagKey,
          variant,
          reason: "SPLIT",
          minute,
          requests: perSummary,
          errors: 25,
          errorsByCode: { E_BENCH: 25 },
          latencySumMs: perSummary * 100, // inside the histogram (5 … 300 ms slots)
          latencyBuckets: buckets,
          errorSubjects: Array.from({ length: 25 }, (_, k) => `user-${k}`),
        })),
      ),
    });
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: sdks }, async () => {
        for (let r = 0; r < rounds; r++) {
          const res = await fetch(`${app!.url}/api/v1/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
            body,
          });
          if (res.status !== 202) throw new Error(`summary ingest failed: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
          sent += flags.length * 2 * perSummary;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const client = new pgLib.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query(
      "SELECT sum(m.requests)::bigint AS n FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key LIKE 'sum-flag-%'",
    );
    await client.end();
    const stored = Number(rows[0].n);
    console.log(
      `\n7. Summary ingestion: ${sdks} simulated SDKs × ${rounds} intervals, each a batch of ${flags.length * 2} summaries (${fmt(perSummary)} evaluations each)`,
    );
    console.log(
      `   ${fmt(sent / seconds)} evaluations/s reported (${fmt((sdks * rounds) / seconds, 1)} batches/s); rollups hold ${fmt(stored)} of ${fmt(sent)} sent (${stored === sent ? "exact" : "MISMATCH"})`,
    );
    if (stored !== sent) throw new Error("summary rollups do not match what was sent");
  });
}

/** One SDK stream as bare as possible (a socket and a byte count), so 5,000 of them fit in the load generator. */
interface RawStream {
  socket: net.Socket;
  bytes: number;
  text: string;
  /** Resolves when `text` contains `needle`. */
  waitFor(needle: string): Promise<number>;
}

function openRawStream(url: string, lastEventId: number | null): Promise<RawStream> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let waiter: { needle: string; resolve: (at: number) => void } | null = null;
    const stream: RawStream = {
      socket,
      bytes: 0,
      text: "",
      waitFor(needle) {
        if (stream.text.includes(needle)) return Promise.resolve(performance.now());
        return new Promise((res) => (waiter = { needle, resolve: res }));
      },
    };
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      socket.write(
        `GET /api/v1/stream HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${SDK}\r\nAccept: text/event-stream\r\n` +
          (lastEventId === null ? "" : `Last-Event-ID: ${lastEventId}\r\n`) +
          "\r\n",
      );
    });
    let opened = false;
    socket.on("data", (chunk: string) => {
      stream.bytes += chunk.length;
      if (!opened) {
        const head = stream.text + chunk;
        if (head.includes("\r\n\r\n")) {
          opened = true;
          if (!head.startsWith("HTTP/1.1 200")) reject(new Error(`stream refused: ${head.slice(0, 200)}`));
          else resolve(stream);
        }
      }
      // Only the newest few KB are searched: enough for one change's event, and bounded per client.
      stream.text = (stream.text + chunk).slice(-4096);
      if (waiter && stream.text.includes(waiter.needle)) {
        const w = waiter;
        waiter = null;
        w.resolve(performance.now());
      }
    });
    socket.on("error", reject);
  });
}

/**
 * 10,000 flags in one environment, 5,000 SSE clients on one instance: one flag changes, and every
 * client must have it. Clients join with the version they hold (Last-Event-ID), as a fleet that
 * already has its configuration does after a reconnect; one more client takes the full snapshot, to
 * show its size.
 */
async function benchFanout(): Promise<void> {
  const flagCount = Number(process.env.BENCH_FANOUT_FLAGS ?? 10_000);
  const clientCount = Number(process.env.BENCH_FANOUT_CLIENTS ?? 5_000);
  const changes = 20;
  await withCluster(1, async ([app], databaseUrl) => {
    const owner = new pgLib.Client({ connectionString: databaseUrl });
    await owner.connect();
    await owner.query(`INSERT INTO flags (key) SELECT 'fleet-' || i FROM generate_series(1, $1::int) i`, [flagCount - 1]);
    await owner.end();
    const status = async () => (await call(app!.url, "GET", "/api/v1/status", { token: ENG })).body;
    const production = async () =>
      ((await status()).environments as { key: string; version: number; flags: number }[]).find((e) => e.key === "production")!;
    for (let deadline = Date.now() + 60_000; (await production()).flags < flagCount;) {
      if (Date.now() > deadline) throw new Error("the server did not load the flags");
      await new Promise((r) => setTimeout(r, 200));
    }
    const snapshotStream = await openRawStream(app!.url, null);
    await new Promise((r) => setTimeout(r, 1000));
    const snapshotBytes = snapshotStream.bytes;
    snapshotStream.socket.destroy();

    await new Promise((r) => setTimeout(r, 1000));
    const before = await status();
    let version = (await production()).version;
    const streams: RawStream[] = [];
    const connectStart = performance.now();
    for (let i = 0; i < clientCount; i += 250) {
      streams.push(...(await Promise.all(Array.from({ length: Math.min(250, clientCount - i) }, () => openRawStream(app!.url, version)))));
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await status();
    const perConnection = (idle.memory.rssBytes - before.memory.rssBytes) / clientCount;
    const heapPerConnection = (idle.memory.heapUsedBytes - before.memory.heapUsedBytes) / clientCount;

    const latencies: number[] = [];
    const bytesPerChange: number[] = [];
    let flagVersion = (await call(app!.url, "GET", "/api/v1/flags/bench-flag", { token: ENG })).body.environments.production
      .version as number;
    try {
      for (let c = 0; c < changes; c++) {
        for (const s of streams) s.bytes = 0;
        const sent = performance.now();
        const res = await call(app!.url, "PATCH", "/api/v1/flags/bench-flag/environments/production", {
          token: ENG,
          body: { version: flagVersion, rolloutPercent: c % 2 ? 50 : 51 },
        });
        if (res.status !== 200) throw new Error(`change failed: ${res.status} ${JSON.stringify(res.body)}`);
        flagVersion = res.body.version as number;
        version++;
        const arrivals = await Promise.all(
          streams.map((s) =>
            Promise.race([
              s.waitFor(`id: ${version}\n`),
              new Promise<number>((_, reject) =>
                setTimeout(
                  () => reject(new Error(`a client did not get version ${version} within 10 s: …${s.text.slice(-300)}`)),
                  10_000,
                ).unref(),
              ),
            ]),
          ),
        );
        for (const at of arrivals) latencies.push(at - sent);
        await new Promise((r) => setTimeout(r, 100));
        for (const s of streams) bytesPerChange.push(s.bytes);
      }
    } finally {
      for (const s of streams) s.socket.destroy();
    }
    const after = await status();
    latencies.sort((a, b) => a - b);
    const meanBytes = bytesPerChange.reduce((a, b) => a + b, 0) / bytesPerChange.length;
    console.log(
      `\n8. Fan-out: ${fmt(flagCount)} flags in one environment, ${fmt(clientCount)} SSE clients on one instance (joined in ${fmt(connectSeconds, 1)} s with the version they hold), ${changes} one-flag changes`,
    );
    console.log(
      `   PATCH sent → every client has the change: p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms, max ${fmt(latencies.at(-1)!, 1)} ms`,
    );
    console.log(
      `   bytes per client per change ${fmt(meanBytes)} (on the wire, HTTP chunk framing included); a full snapshot is ${fmt(snapshotBytes)} bytes`,
    );
    console.log(
      `   changes applied by patching one flag: ${after.configReloads.patched - before.configReloads.patched}, by a full reload: ${after.configReloads.full - before.configReloads.full}`,
    );
    console.log(
      `   server memory per idle connection: ${fmt(perConnection / 1024, 1)} KB RSS (${fmt(heapPerConnection / 1024, 1)} KB of JS heap)`,
    );
  });
}

if (!only || only === "eval") benchLocalEvaluation();
if (!only || only === "eval" || only === "targeting") benchTargeting();
if (!only || only === "ofrep") await benchOfrep();
if (!only || only === "ingest") await benchIngestion();
if (!only || only === "metrics") await benchMetrics();
if (!only || only === "kill") await benchKill();
if (!only || only === "summaries") await benchSummaries();
if (!only || only === "fanout") await benchFanout();
if (!only || only === "dashboard") await withCluster(1, ([app], url) => benchDashboard(app!, url, { engineer: ENG, admin: ADMIN }));
if (!only || only === "propagation") {
  await benchPropagation(1);
  await benchPropagation(3);
}
