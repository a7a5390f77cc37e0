// npm run bench -- dashboard: the dashboard at 10,000 flags (issue 26). Seeds BENCH_DASHBOARD_FLAGS flags
// (default 10,000, with owners, tags and rollups) and BENCH_AUDIT_ENTRIES audit entries (default
// 1,000,000; with the hash-chain triggers off and placeholder hashes, below), then times sequential
// requests: the /flags first page (request sent to last byte received, and its HTML size), a search matching 10
// flags, a GET /api/v1/flags page and the audit page; then, with BENCH_LIVE_ROLLOUTS live rollouts (default 50),
// the overview and GET /api/v1/rollouts. Every description is 500 characters (the
// longest allowed), so the page size is the worst case. Last, an Unleash export of
// BENCH_IMPORT_FLAGS more flags (default 10,000) is imported in one request, timed.
import { writeFile } from "node:fs/promises";
import pgLib from "pg";
import { hashSecret } from "../../lib/auth/secrets";
import type { TestApp } from "../support/test-app";
import { createDb } from "../../lib/db/client";
import { compareArms } from "../../lib/guardrails/compare-arms";

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function seed(databaseUrl: string, flagCount: number, auditCount: number): Promise<string> {
  const db = new pgLib.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t0 = performance.now();
    // Keys fleet-00000 …: "fleet-0123" then matches exactly ten flags (fleet-01230 … fleet-01239).
    // Created 60 days ago, so the two thirds without rollups are "potentially stale".
    await db.query(
      `INSERT INTO flags (key, description, owner, tags, created_at)
       SELECT 'fleet-' || lpad(i::text, 5, '0'),
              left('Fleet flag number ' || i || ' guarding a migrated Unleash toggle. ' || repeat('Kept until the new path has served everyone for a month. ', 10), 500),
              'team-' || (i % 40), ARRAY['fleet', 'batch-' || (i % 25)], now() - interval '60 days'
         FROM generate_series(0, $1::int - 1) i`,
      [flagCount],
    );
    // A spread of states, and a week of rollups for every third flag in production.
    await db.query(`UPDATE flag_states s SET enabled = true, rollout_percent = (hashtext(f.key) & 127) % 101
                      FROM flags f WHERE f.id = s.flag_id AND f.key LIKE 'fleet-%' AND hashtext(f.key) % 3 = 0`);
    await db.query(`INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, requests, latency_buckets)
                    SELECT f.id, 'production', 'on', date_trunc('minute', now()) - (d || ' days')::interval, 10, '{}'
                      FROM flags f, generate_series(0, 6) d WHERE f.key LIKE 'fleet-%' AND hashtext(f.key) % 3 = 0`);
    console.log(`   seeded ${fmt(flagCount)} flags in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const t1 = performance.now();
    // The hash-chain trigger costs about a millisecond per row (a million would take a quarter of an
    // hour), so the bench inserts with it off and placeholder hashes: this database is thrown away, and
    // the audit page reads rows without verifying the chain.
    // The anchor is moved by hand below, so its per-statement trigger is off too.
    await db.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain, DISABLE TRIGGER audit_log_anchor");
    for (let done = 0; done < auditCount; done += 100_000) {
      const n = Math.min(100_000, auditCount - done);
      await db.query(
        `INSERT INTO audit_log (id, at, actor, action, target_type, target_id, after, prev_hash, hash)
         SELECT (SELECT last_id FROM audit_anchor) + i - $1::int + 1, now() - make_interval(secs => $1::int + $3::int - i), 'import-bot', 'flag.import',
                'flag', 'fleet-' || lpad((i % $2::int)::text, 5, '0'), jsonb_build_object('n', i), 'bench', 'bench-' || i
           FROM generate_series($1::int, $1::int + $3::int - 1) i`,
        [done, flagCount, n],
      );
      // The chain's head moves as the trigger would move it, so later entries append after these.
      await db.query(
        `UPDATE audit_anchor SET last_id = h.id, last_hash = h.hash, entries = entries + $1::int
                        FROM (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) h`,
        [n],
      );
    }
    await db.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain, ENABLE TRIGGER audit_log_anchor");
    console.log(`   seeded ${fmt(auditCount)} audit entries in ${fmt((performance.now() - t1) / 1000, 1)} s`);
    await db.query("ANALYZE");
    const user = await db.query(
      `INSERT INTO users (email, name, roles) VALUES ('bench-viewer@rollgate.dev', 'Bench', '{engineer}') RETURNING id`,
    );
    const secret = `bench-session-${process.pid}`;
    await db.query(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [
      hashSecret(secret),
      user.rows[0].id,
    ]);
    return secret;
  } finally {
    await db.end();
  }
}

async function timed(label: string, runs: number, fetchOnce: () => Promise<Response>): Promise<void> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    const res = await fetchOnce();
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${label}: ${res.status} ${Buffer.from(body).toString("utf8").slice(0, 300)}`);
    if (i >= 3) times.push(performance.now() - t0); // the first few warm caches and the JIT
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  console.log(
    `   ${label}: p50 ${fmt(percentile(times, 50), 1)} ms, **p95 ${fmt(percentile(times, 95), 1)} ms**, ${fmt(bytes / 1024, 1)} KB`,
  );
}

/**
 * `count` live rollouts at 10 % on seeded flags that have a week of rollups in production, each with
 * three phases, one of them gated by an approval and a checklist.
 */
async function startRollouts(app: TestApp, engineerToken: string, count: number): Promise<void> {
  const send = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${engineerToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { id: string; version: number };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  };
  const phases = [
    { name: "10 %", percent: 10, minSoakSeconds: 0 },
    { name: "50 %", percent: 50, requiredApprovals: 1, checklist: ["dashboards checked"] },
    { name: "100 %", percent: 100 },
  ];
  // Every third flag has rollups (the seed's hashtext(key) % 3 = 0): 3 × i + 0…2 covers all kinds.
  for (let i = 0; i < count; i++) {
    const created = await send("POST", "/api/v1/rollouts", {
      flagKey: `fleet-${String(i * 3).padStart(5, "0")}`,
      environment: "production",
      phases,
    });
    await send("POST", `/api/v1/rollouts/${created.id}/advance`, { version: created.version });
  }
}

/** Moves every live rollout's start a given number of days back, with both arms' SPLIT rollups for each minute since. */
async function soakRollouts(databaseUrl: string, days: number): Promise<void> {
  const db = new pgLib.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t0 = performance.now();
    const since = `date_trunc('minute', now()) - interval '${days} days'`;
    await db.query(`UPDATE rollouts SET created_at = ${since}, phase_started_at = ${since} WHERE status = 'active'`);
    // Their flags have served the phase's split since then too (the sample-ratio look counts from there).
    await db.query(`UPDATE flag_states s SET updated_at = ${since} FROM rollouts r
                     WHERE r.status = 'active' AND s.flag_id = r.flag_id AND s.environment_key = r.environment_key`);
    const { rowCount } = await db.query(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects, latency_buckets,
                                   subjects_sketch)
       SELECT r.flag_id, r.environment_key, v.variant, m.minute, r.current_phase, 'SPLIT',
              CASE v.variant WHEN 'on' THEN 12 ELSE 108 END, (extract(minute FROM m.minute)::int % 7 = 0)::int,
              (extract(minute FROM m.minute)::int % 7 = 0)::int, '{}',
              -- Each row's distinct subjects, as ingestion keeps them (256 registers): the sample-ratio look reads them.
              decode(repeat(CASE v.variant WHEN 'on' THEN '0201' ELSE '0403' END, 128), 'hex')
         FROM rollouts r
        CROSS JOIN (VALUES ('on'), ('off')) v(variant)
        CROSS JOIN generate_series(${since}, date_trunc('minute', now()) - interval '1 minute', interval '1 minute') m(minute)
        WHERE r.status = 'active'
       ON CONFLICT DO NOTHING`,
    );
    await db.query("VACUUM ANALYZE metric_rollups");
    console.log(`   ${fmt(rowCount ?? 0)} minute rollups for the live rollouts' phases in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  } finally {
    await db.end();
  }
}

/**
 * The guardrail worker's look at a split (compare-arms.ts), in this process, at five of the soaked
 * rollouts' flags: the first look reads every minute since the rollout began; later ones only the
 * hours written since (lib/metrics/split-rows-cache.ts). The worker looks at each split every 5 s.
 */
async function timeGuardrailLooks(databaseUrl: string, days: number): Promise<void> {
  const db = createDb(databaseUrl, { max: 4 });
  try {
    const flags = await db.rollout.findMany({ where: { status: "active" }, select: { flagId: true }, take: 5, orderBy: { id: "asc" } });
    const first: number[] = [];
    const later: number[] = [];
    for (const { flagId } of flags) {
      for (let i = 0; i < 11; i++) {
        const t0 = performance.now();
        const looked = await compareArms(db, { flagId, environment: "production" }, null, new Date());
        if (!looked) throw new Error("a soaked rollout's flag is not split");
        (i === 0 ? first : later).push(performance.now() - t0);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `   a guardrail look at one of those splits (${days} days of minutes): first p50 ${fmt(median(first), 1)} ms, later looks p50 **${fmt(median(later), 1)} ms**`,
    );
  } finally {
    await db.$disconnect();
  }
}

/** An Unleash 5 feature export of `count` flags in production and staging, with projects and tags. */
function unleashExport(count: number) {
  const name = (i: number) => `unleash-${String(i).padStart(5, "0")}`;
  const ids = Array.from({ length: count }, (_, i) => i);
  return {
    features: ids.map((i) => ({ name: name(i), project: i % 4 ? `project-${i % 30}` : "default", type: "release" })),
    featureEnvironments: ids.flatMap((i) => [
      { featureName: name(i), environment: "production", enabled: i % 2 === 0 },
      { featureName: name(i), environment: "staging", enabled: true },
    ]),
    featureStrategies: ids.flatMap((i) => [
      {
        featureName: name(i),
        environment: "production",
        name: "flexibleRollout",
        parameters: { rollout: String(i % 101), stickiness: "default", groupId: name(i) },
      },
      { featureName: name(i), environment: "staging", name: "default", parameters: {} },
    ]),
    featureTags: ids.map((i) => ({ featureName: name(i), tagType: "simple", tagValue: `team-${i % 12}` })),
  };
}

async function timeImport(app: TestApp, databaseUrl: string, adminToken: string, count: number): Promise<void> {
  const body = JSON.stringify({ export: unleashExport(count), dryRun: false });
  const t0 = performance.now();
  const res = await fetch(`${app.url}/api/v1/import/unleash`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body,
  });
  const answer = (await res.json()) as { summary?: Record<string, number> };
  const seconds = (performance.now() - t0) / 1000;
  if (!res.ok || answer.summary?.create !== count) throw new Error(`import: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  // Still one audit entry per flag, on the chain.
  const db = new pgLib.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT target_id)::int AS flags FROM audit_log WHERE action = 'flag.import' AND target_id LIKE 'unleash-%'`,
    );
    if (rows[0].n !== count || rows[0].flags !== count) throw new Error(`import: ${rows[0].n} audit entries for ${rows[0].flags} flags`);
  } finally {
    await db.end();
  }
  console.log(
    `   import of ${fmt(count)} Unleash flags (${fmt(body.length / 1024 / 1024, 1)} MB, one request, one transaction): **${fmt(seconds, 1)} s** (target ≤ 10 s)`,
  );
}

export async function benchDashboard(app: TestApp, databaseUrl: string, tokens: { engineer: string; admin: string }): Promise<void> {
  const engineerToken = tokens.engineer;
  const flagCount = Number(process.env.BENCH_DASHBOARD_FLAGS ?? 10_000);
  const auditCount = Number(process.env.BENCH_AUDIT_ENTRIES ?? 1_000_000);
  const runs = Number(process.env.BENCH_DASHBOARD_RUNS ?? 40);
  console.log(`\n9. Dashboard at ${fmt(flagCount)} flags and ${fmt(auditCount)} audit entries (${runs} sequential requests each)`);
  const secret = await seed(databaseUrl, flagCount, auditCount);
  const page = (path: string) => () => fetch(`${app.url}${path}`, { headers: { cookie: `rollgate_session=${secret}` } });
  const api = (path: string) => () => fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${engineerToken}` } });
  if (process.env.BENCH_DASHBOARD_HTML) {
    // To see where the bytes go: the first page as served.
    await writeFile(process.env.BENCH_DASHBOARD_HTML, await (await page("/flags")()).text());
  }
  await timed("/flags first page (HTML)", runs, page("/flags"));
  await timed("/flags?q=fleet-0123 (10 matches)", runs, page("/flags?q=fleet-0123"));
  await timed("/flags?stale=1&owner=team-7", runs, page("/flags?stale=1&owner=team-7"));
  await timed("/flags?sort=evaluated", runs, page("/flags?sort=evaluated"));
  await timed("GET /api/v1/flags (first page, 100 flags)", runs, api("/api/v1/flags"));
  const first = (await (await api("/api/v1/flags?limit=100")()).json()) as { next: string };
  await timed("GET /api/v1/flags (a later page by cursor)", runs, api(`/api/v1/flags?cursor=${encodeURIComponent(first.next)}`));
  await timed("GET /api/v1/flags?q=fleet-0123", runs, api("/api/v1/flags?q=fleet-0123"));
  await timed("/audit (first page)", runs, page("/audit"));
  // The pages that show every live rollout with its gates, after the timings above (which have none).
  const live = Number(process.env.BENCH_LIVE_ROLLOUTS ?? 50);
  await startRollouts(app, engineerToken, live);
  await timed(`/overview (${live} live rollouts)`, runs, page("/overview"));
  await timed(`GET /api/v1/rollouts (${live} live rollouts)`, runs, api("/api/v1/rollouts"));
  // The same rollouts as if each had soaked its current phase for a week: both arms' SPLIT rollups for
  // every minute of it (20,160 rows a rollout), which the promotion gate's sums read.
  const soakDays = Number(process.env.BENCH_SOAK_DAYS ?? 7);
  if (soakDays > 0) {
    await soakRollouts(databaseUrl, soakDays);
    await timed(`/overview (${live} live rollouts, ${soakDays} days into their phase)`, runs, page("/overview"));
    await timed(`GET /api/v1/rollouts (${live} live rollouts, ${soakDays} days into their phase)`, runs, api("/api/v1/rollouts"));
    const soaked = (await (await api("/api/v1/rollouts?limit=1")()).json()) as { rollouts: { id: string }[] };
    await timed(`/rollouts/{id} (one of them, ${soakDays} days into its phase)`, runs, page(`/rollouts/${soaked.rollouts[0]!.id}`));
    await timeGuardrailLooks(databaseUrl, soakDays);
  }
  await timeImport(app, databaseUrl, tokens.admin, Number(process.env.BENCH_IMPORT_FLAGS ?? 10_000));
}
