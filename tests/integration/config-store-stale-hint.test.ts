// The config store's reload loop and a one-flag hint that went stale (1a2ad34): a full reload reads a
// one-flag change whose notification arrives only while that reload runs, and a change that names no
// single flag is announced meanwhile. The stale hint must not pass for "already applied" and leave the
// other change unloaded until the next poll (a CPU-loaded run was once stuck at 201 of 203 that way).
// The order is made, not hoped for: a proxy holds back the store's notifications, and then the
// answer to its reload's query after PostgreSQL ran it (tests/support/notify-hold-proxy.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { startNotifyHoldProxy, type NotifyHoldProxy } from "../support/notify-hold-proxy";
import { eventually } from "../support/eventually";
import { createDb, type Db } from "../../lib/db/client";
import { ConfigStore } from "../../lib/evaluation/config-store";

const t = setUpTestDatabase();
let proxy: NotifyHoldProxy;
let db: Db;
let store: ConfigStore;

beforeAll(async () => {
  proxy = await startNotifyHoldProxy("rollgate_config");
  const url = proxy.via(t.url);
  db = createDb(url);
  // No poll within the test: only the reload loop can bring the store up to date.
  store = new ConfigStore(db, url, { pollMs: 3_600_000 });
  await store.start();
});
afterAll(async () => {
  await store?.stop();
  await db?.$disconnect();
  await proxy?.close();
});

const databaseVersion = async (): Promise<number> =>
  (await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`)).rows[0].v;

/** Resolves once the store has handled a notification sent now, so every one sent before it too. */
function heard(probe: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = store.subscribeRollouts((id) => {
      if (id !== probe) return;
      stop();
      resolve();
    });
  });
}

describe("a stale one-flag hint", () => {
  it("does not pass for already applied while a later change waits: the loop loads it", async () => {
    await t.sql(`INSERT INTO flags (key) VALUES ('hinted')`);
    await eventually(async () => store.snapshot("production")?.version === (await databaseVersion()), 5000, "the store is current");
    const start = await databaseVersion();
    const fullBefore = store.reloadsByEnvironment.get("production")?.full ?? 0;

    // A one-flag change (its notification names the flag), not heard yet.
    proxy.hold();
    await t.sql(
      `UPDATE flag_states s SET rollout_percent = 40, version = version + 1
         FROM flags f WHERE f.id = s.flag_id AND f.key = 'hinted' AND s.environment_key = 'production'`,
    );
    // A full reload reads it: PostgreSQL answers, the answer is held back, so the reload is still running.
    const before = (await t.sql(`SELECT clock_timestamp() AS at`)).rows[0].at as Date;
    proxy.holdQueries();
    const reloading = store.reload("production", start + 1);
    // Done in PostgreSQL: the snapshot query (loadSnapshot's, the only one with row_number() OVER ())
    // has run since, and its session is idle again. The pattern is split so this query is not found.
    await eventually(
      async () =>
        proxy.heldQueryBytes() > 0 &&
        (
          await t.sql(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE state = 'idle' AND query LIKE '%row' || '_number() OVER ()%' AND query_start >= $1`,
            [before],
          )
        ).rows[0].n > 0,
      5000,
      "the reload's query ran",
    );
    // Meanwhile a change that names no single flag, and then the store hears both.
    await t.sql(`INSERT INTO flags (key) VALUES ('unnamed-1'), ('unnamed-2')`);
    expect(await databaseVersion()).toBe(start + 2);
    const probed = heard("stale-hint-probe");
    await t.sql(`SELECT pg_notify('rollgate_rollouts', '{"id":"stale-hint-probe"}')`);
    proxy.release();
    await probed;

    // The reload ends with what it read (start + 1), then finds the hint for start + 1 stale and
    // start + 2 still wanted: a second full reload, in the same run.
    proxy.releaseQueries();
    await reloading;
    expect(store.snapshot("production")!.version).toBe(start + 2);
    expect([...store.snapshot("production")!.flags.keys()]).toEqual(expect.arrayContaining(["unnamed-1", "unnamed-2"]));
    expect(store.snapshot("production")!.flags.get("hinted")!.rule.rolloutPercent).toBe(40);
    // Two full loads: the one that read start + 1 (so the hint was stale), and the one that caught up.
    expect(store.reloadsByEnvironment.get("production")!.full - fullBefore).toBe(2);
  });
});
