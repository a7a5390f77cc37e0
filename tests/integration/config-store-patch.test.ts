// An instance applies a one-flag change by reading that flag alone, and ends up with exactly what a
// full reload reads, whatever mix of changes (new flags, edits, archiving, groups) came through. The
// patches it publishes (what the stream sends), applied by a client to the first snapshot it got,
// end up there too.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { applyPatch, compileSnapshot, type CompiledSnapshot, type ConfigPatch } from "../../lib/domain/config-snapshot";
import { ConfigStore } from "../../lib/evaluation/config-store";
import { loadSnapshot } from "../../lib/evaluation/load-snapshot";
import { eventually } from "../support/eventually";

let store: ConfigStore;
// A client's copy, built from the first snapshot and then the wire patches alone.
let client: CompiledSnapshot;
const gaps: string[] = [];
let patches = 0;
// What the store logged (a reconnect, a failed reload): a failure below says it.
const said: string[] = [];

const t = setUpTestDatabase();
beforeAll(async () => {
  store = new ConfigStore(t.db, t.url, { pollMs: 3_600_000, log: (m) => said.push(m) });
  await store.start();
  client = compileSnapshot(JSON.parse(store.snapshot("production")!.json));
  store.subscribe("production", (_snapshot, change) => {
    if (!change) return void gaps.push("a snapshot without a patch");
    const patch = JSON.parse(change.json) as ConfigPatch;
    if (patch.from !== client.version) gaps.push(`patch from ${patch.from} to a client at ${client.version}`);
    client = applyPatch(client, patch);
    patches++;
  });
});
afterAll(async () => {
  await store?.stop();
});

async function converged(): Promise<void> {
  const { rows } = await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`);
  await eventually(() => store.snapshot("production")?.version === rows[0].v, 5000, `the store catches up to ${rows[0].v}`).catch(
    (err: Error) => {
      throw new Error(
        `${err.message}: it is at ${store.snapshot("production")?.version}; it said: ${said.slice(-40).join(" / ") || "nothing"}`,
      );
    },
  );
  const full = await loadSnapshot(t.db, "production");
  const mine = JSON.parse(store.snapshot("production")!.json) as { flags: unknown; segments?: unknown };
  expect(mine.flags).toEqual(full!.flags);
  expect(mine.segments).toEqual(full!.segments);
  expect(gaps).toEqual([]);
  expect(client.version).toBe(full!.version);
  expect(JSON.parse(client.json)).toEqual(full);
}

describe("incremental configuration", () => {
  it("200 changes, one at a time and in bursts: most applied as one-flag patches, always equal to a full reload", async () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = rnd();
      if (keys.length < 5 || r < 0.1) {
        const key = `patch-${i}`;
        await t.sql(`INSERT INTO flags (key, bucket_group) VALUES ($1, $2)`, [key, rnd() < 0.3 ? `group-${i}` : null]);
        keys.push(key);
      } else if (r < 0.14) {
        const key = keys.splice(Math.floor(rnd() * keys.length), 1)[0]!;
        await t.sql(`UPDATE flags SET archived_at = now() WHERE key = $1`, [key]);
      } else {
        const key = keys[Math.floor(rnd() * keys.length)]!;
        await t.sql(
          `UPDATE flag_states s SET enabled = $2, rollout_percent = $3, allowlist = $4, version = version + 1
             FROM flags f WHERE f.id = s.flag_id AND f.key = $1 AND s.environment_key = 'production'`,
          [key, rnd() < 0.8, Math.floor(rnd() * 101), rnd() < 0.3 ? [`qa-${i}`] : []],
        );
      }
      // Every fifth change is checked on its own; the others arrive in bursts.
      if (i % 5 === 0) await converged();
    }
    await converged();
    const counts = `reloads ${JSON.stringify(store.reloads)}, ${patches} patches published`;
    expect(store.reloads.patched, counts).toBeGreaterThan(20); // one patch may carry a burst of changes
    expect(patches, counts).toBeGreaterThanOrEqual(store.reloads.patched); // full reloads publish patches too
    expect(store.reloads.full, counts).toBeGreaterThan(0); // archiving still reloads everything
  });

  it("a segment edit is applied as a patch carrying the segment and every flag using it, and equals a full reload", async () => {
    const [{ id }] = (
      await t.sql(
        `INSERT INTO segments (name, constraints) VALUES ('Staff', '[{"contextName":"email","operator":"STR_ENDS_WITH","values":["@acme.com"]}]') RETURNING id`,
      )
    ).rows as [{ id: number }];
    const targeting = JSON.stringify({
      strategies: [{ rollout: 100, stickiness: "default", groupId: "g", constraints: [], segments: [id], variants: [] }],
      variants: [],
      dependencies: [],
    });
    await t.sql(`INSERT INTO flags (key) VALUES ('uses-staff-1'), ('uses-staff-2'), ('no-segment')`);
    await t.sql(
      `UPDATE flag_states s SET targeting = $1::jsonb, version = version + 1 FROM flags f
        WHERE f.id = s.flag_id AND f.key IN ('uses-staff-1', 'uses-staff-2') AND s.environment_key = 'production'`,
      [targeting],
    );
    await converged();
    expect(store.snapshot("production")!.segments[String(id)]).toMatchObject({ id, name: "Staff" });

    const published: ConfigPatch[] = [];
    const stop = store.subscribe("production", (_s, change) => change && published.push(JSON.parse(change.json) as ConfigPatch));
    const patchedBefore = store.reloads.patched;
    const fullBefore = store.reloads.full;
    await t.sql(
      `UPDATE segments SET constraints = '[{"contextName":"email","operator":"STR_ENDS_WITH","values":["@acme.org"]}]', version = version + 1 WHERE id = $1`,
      [id],
    );
    await converged();
    stop();
    expect(store.reloads.patched, `full reloads ${store.reloads.full - fullBefore}; the store said: ${said.join(" / ")}`).toBe(
      patchedBefore + 1,
    );
    expect(published).toHaveLength(1);
    expect(Object.keys(published[0]!.flags).sort()).toEqual(["uses-staff-1", "uses-staff-2"]);
    expect(published[0]!.segments![String(id)]!.constraints[0]!.values).toEqual(["@acme.org"]);
    expect(published[0]!.removed).toEqual([]);
  });

  it("a change announced while a full reload is held back is in what that reload reads: no second full reload", async () => {
    // The store handles its notifications in order on one connection: once it has heard this probe,
    // it has heard the changes committed before it.
    const heard = new Promise<void>((resolve) => {
      const stop = store.subscribeRollouts((id) => {
        if (id !== "held-probe") return;
        stop();
        resolve();
      });
    });
    const fullBefore = store.reloadsByEnvironment.get("production")!.full;
    // Both full reloads and one-flag reads go through flag_state_segments; inserting flags without
    // targeting never touches it, so this holds back the store's reload and not the writes.
    const lock = new pg.Client({ connectionString: t.url });
    await lock.connect();
    try {
      await lock.query("BEGIN");
      await lock.query("LOCK TABLE flag_state_segments IN ACCESS EXCLUSIVE MODE");
      // Two flags per statement: a change that names no single flag, reloaded in full.
      await t.sql(`INSERT INTO flags (key) VALUES ('held-1a'), ('held-1b')`);
      await t.sql(`INSERT INTO flags (key) VALUES ('held-2a'), ('held-2b')`);
      await t.sql(`SELECT pg_notify('rollgate_rollouts', '{"id":"held-probe"}')`);
      await heard;
    } finally {
      await lock.query("COMMIT");
      await lock.end();
    }
    await converged();
    expect([...store.snapshot("production")!.flags.keys()]).toEqual(expect.arrayContaining(["held-1a", "held-1b", "held-2a", "held-2b"]));
    // The held-back reload read both changes; the second announcement needed no load of its own.
    expect(store.reloadsByEnvironment.get("production")!.full - fullBefore).toBe(1);
  });
});
