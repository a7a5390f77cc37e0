import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { recordAudit } from "../../lib/audit/record-audit";
import { verifyAuditChain } from "../../lib/audit/verify-chain";
import { scratchRoot } from "../support/scratch";
import { runCli } from "../support/cli";

const dataDir = mkdtempSync(path.join(scratchRoot(), "rollgate-audit-"));

const t = setUpTestDatabase();
beforeAll(async () => {
  // Concurrent writers from separate transactions: the chain must still come out linear.
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      t.db.$transaction((tx) =>
        recordAudit(tx, {
          actor: { id: null, label: `writer-${i}` },
          action: "test.write",
          target: { type: "test", id: String(i) },
          before: { n: i },
          after: { n: i + 1, nested: { ü: "ünïcode", list: [1, 2] } },
          reason: i % 2 ? "because" : null,
        }),
      ),
    ),
  );
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("audit log", () => {
  it("is a single intact hash chain even when written concurrently", async () => {
    const report = await verifyAuditChain(t.db, 7); // small pages exercise the paging
    expect(report).toMatchObject({ ok: true, checked: 40, problems: [] });
    const rows = await t.sql("SELECT id, prev_hash, hash FROM audit_log ORDER BY id");
    expect(rows.rows[0].prev_hash).toBe("0".repeat(64));
    for (let i = 1; i < rows.rows.length; i++) expect(rows.rows[i].prev_hash).toBe(rows.rows[i - 1].hash);
  });

  it("refuses UPDATE, DELETE and TRUNCATE at the database", async () => {
    await expect(t.sql("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")).rejects.toThrow(/append-only: UPDATE/);
    await expect(t.sql("DELETE FROM audit_log WHERE id = 3")).rejects.toThrow(/append-only: DELETE/);
    await expect(t.sql("TRUNCATE audit_log")).rejects.toThrow(/append-only: TRUNCATE/);
    expect((await t.sql("SELECT count(*)::int AS n FROM audit_log")).rows[0].n).toBe(40);
  });

  it("a row changed by a superuser behind the triggers' back is detected, by the service and by npm run audit:verify", async () => {
    const cli = () => runCli("audit-verify", [], { env: { ...process.env, DATABASE_URL: t.url, ROLLGATE_DATA_DIR: dataDir } });
    const intact = cli();
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/audit chain intact: 40 entries/);

    // session_replication_role = replica skips ordinary triggers: what a superuser could do.
    // Three statements in one simple query: pg answers with one result per statement.
    const results = (await t.sql(
      "SET session_replication_role = replica; UPDATE audit_log SET after = '{\"n\": 999}' WHERE id = 17; RESET session_replication_role;",
    )) as unknown as { command: string; rowCount: number | null }[];
    expect(results.map((r) => [r.command, r.rowCount])).toEqual([
      ["SET", null],
      ["UPDATE", 1],
      ["RESET", null],
    ]);
    expect((await t.sql("SELECT after FROM audit_log WHERE id = 17")).rows).toEqual([{ after: { n: 999 } }]);
    const report = await verifyAuditChain(t.db);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ id: "17", problem: "content does not match its hash" }]);

    const broken = cli();
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/entry 17: content does not match its hash/);
    expect(broken.stdout).toMatch(/audit chain BROKEN/);
  });

  it("ids are gapless: a removed entry is named, not just the broken link after it", async () => {
    await t.sql("SET session_replication_role = replica; DELETE FROM audit_log WHERE id IN (30, 31); RESET session_replication_role;");
    const report = await verifyAuditChain(t.db);
    expect(report.problems).toContainEqual({ id: "32", problem: "entries #30–#31 before it are missing" });
    expect(report.problems).toContainEqual({ id: "32", problem: "does not link to the previous entry" });
    expect(report.problems).toContainEqual({ id: "anchor", problem: "the log has 38 entries, but the audit_anchor row counts 40" });
  });
});
