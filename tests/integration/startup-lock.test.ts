// Instances starting on one database take turns (lib/db/startup-lock.ts); the wait has no bound, as
// another instance's migrations may rightly take minutes, so it is never silent: the waiting one
// says whom it waits for, at once and again while it lasts.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { withStartupLock, STARTUP_APPLICATION, type LockHolder } from "../../lib/db/startup-lock";
import { eventually } from "../support/eventually";

const t = setUpTestDatabase();

describe("the start-up lock", () => {
  it("takes it at once when free, saying nothing", async () => {
    const heard: (LockHolder | null | undefined)[] = [];
    const ran = await withStartupLock(t.url, async (session) => (await session.query("SELECT 1 AS one")).rows[0].one, {
      onWait: (h) => heard.push(h),
    });
    expect(ran).toBe(1);
    expect(heard).toEqual([]);
  });

  it("waits for the instance holding it, names that session at once and again, and goes on when it lets go", async () => {
    // Another instance's start-up holds the lock (mid-migration, say) until released.
    let releaseHolder: () => void = () => {};
    const holding = withStartupLock(t.url, () => new Promise<void>((resolve) => (releaseHolder = resolve)));
    const observer = new pg.Client({ connectionString: t.url });
    await observer.connect();
    // Held means granted in pg_locks, in this database (other files' servers use the same key elsewhere).
    const held = () =>
      observer.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = (7346010000::bigint >> 32)::oid AND l.objid = (7346010000::bigint & 4294967295)::oid`,
      );
    await eventually(async () => (await held()).rows.length === 1, 5_000, "the first start-up holds the lock");
    const holderPid = (await held()).rows[0]!.pid;
    await observer.end();

    const heard: (LockHolder | null | undefined)[] = [];
    let ran = false;
    const waiting = withStartupLock(
      t.url,
      async () => {
        ran = true;
      },
      { onWait: (h) => heard.push(h), noticeEveryMs: 100 },
    );
    await eventually(async () => heard.length >= 3, 5_000, "the waiting start-up says so again while it waits");
    expect(ran).toBe(false);
    expect(heard[0]).toMatchObject({ pid: holderPid, applicationName: STARTUP_APPLICATION, clientAddress: "127.0.0.1" });
    expect(heard[0]!.since).toBeInstanceOf(Date);

    releaseHolder();
    await holding;
    await waiting;
    expect(ran).toBe(true);
    const said = heard.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.length).toBe(said);
  });
});
