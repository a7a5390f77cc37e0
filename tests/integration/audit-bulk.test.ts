import { describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { recordAudit, recordAudits, type AuditInput } from "../../lib/audit/record-audit";
import { verifyAuditChain } from "../../lib/audit/verify-chain";

const t = setUpTestDatabase();

const entry = (writer: number, n: number): AuditInput => ({
  actor: { id: null, label: `writer-${writer}` },
  action: "test.bulk",
  target: { type: "test", id: `${writer}/${n}` },
  before: n % 3 ? { n } : undefined,
  after: n % 5 ? { n, nested: { ü: "ünïcode" } } : null,
  reason: n % 2 ? "because" : null,
});

describe("audit entries appended many per statement", () => {
  it("keep one linear chain, in order, with the anchor at its head, while single entries race them", async () => {
    // Twelve transactions at once: half append 200 entries in one statement each (then one more
    // alone), half append single entries; every entry must chain onto the one before it.
    await Promise.all(
      Array.from({ length: 12 }, (_, w) =>
        t.db.$transaction(
          async (tx) => {
            if (w % 2) {
              for (let n = 0; n < 5; n++) await recordAudit(tx, entry(w, n));
              return;
            }
            await recordAudits(
              tx,
              Array.from({ length: 200 }, (_, n) => entry(w, n)),
            );
            await recordAudit(tx, entry(w, 200));
          },
          { timeout: 30_000 },
        ),
      ),
    );
    const total = 6 * 201 + 6 * 5;
    expect(await verifyAuditChain(t.db, 500)).toMatchObject({ ok: true, checked: total, problems: [] });
    const anchor = (await t.sql("SELECT last_id::int, entries::int, last_hash FROM audit_anchor")).rows[0];
    const newest = (await t.sql("SELECT id::int, hash FROM audit_log ORDER BY id DESC LIMIT 1")).rows[0];
    expect(anchor).toEqual({ last_id: newest.id, entries: total, last_hash: newest.hash });
    // One writer's bulk entries are contiguous and in the order given.
    const mine = await t.sql("SELECT id::int, target_id, before, after, reason FROM audit_log WHERE actor = 'writer-0' ORDER BY id");
    expect(mine.rows.map((r) => r.target_id)).toEqual(Array.from({ length: 201 }, (_, n) => `0/${n}`));
    expect(mine.rows[200].id - mine.rows[0].id).toBe(200);
    // What recordAudit stores, field for field: no entry (SQL NULL) vs a JSON null.
    expect(mine.rows[3]).toMatchObject({ before: null, after: { n: 3, nested: { ü: "ünïcode" } }, reason: "because" });
    expect(mine.rows[5]).toMatchObject({ before: { n: 5 }, after: null, reason: "because" });
    const jsonNull = await t.sql(
      "SELECT after IS NULL AS sql_null, jsonb_typeof(after) AS type FROM audit_log WHERE target_id IN ('0/5', '1/0') ORDER BY target_id",
    );
    expect(jsonNull.rows).toEqual([
      { sql_null: false, type: "null" },
      { sql_null: false, type: "null" },
    ]);
  });
});
