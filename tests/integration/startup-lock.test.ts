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
    const heard: (LockHolder | null)[] = [];
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
    await eventually(
      async () => {
        const { rows } = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
          STARTUP_APPLICATION,
        ]);
        return rows[0].n === 1;
      },
      5_000,
      "the first start-up holds the lock",
    );
    const { rows: holderRows } = await observer.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [
      STARTUP_APPLICATION,
    ]);
    await observer.end();

    const heard: (LockHolder | null)[] = [];
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
    expect(heard[0]).toMatchObject({ pid: holderRows[0].pid, applicationName: STARTUP_APPLICATION, clientAddress: "127.0.0.1" });
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
