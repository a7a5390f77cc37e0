import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TEST_PASSWORD, setUpTestApp } from "../support/fixture";
import { signIn } from "../../lib/auth/sessions";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { eventually } from "../support/eventually";
import { scratchRoot } from "../support/scratch";
import { runCli } from "../support/cli";

/**
 * Cutting entries off the end of the audit log leaves a chain that verifies by itself. The head is
 * kept outside the log (the audit_anchor row, and its export to the data dir), and verification
 * compares against both: first a superuser deletes the tail, then also rewrites the anchor row.
 */
const dataDir = mkdtempSync(path.join(scratchRoot(), "rollgate-anchor-"));
let cookie: string;

function verify() {
  return runCli("audit-verify", [], {
    // The same environment as the server: the app role, the owner for migrations.
    env: { ...process.env, DATABASE_URL: t.appUrl, DATABASE_MIGRATION_URL: t.url, ROLLGATE_DATA_DIR: dataDir },
  });
}
const maxId = async () => Number((await t.sql(`SELECT max(id) AS m FROM audit_log`)).rows[0].m);
const auditPage = async () => (await (await fetch(`${app.url}/audit`, { headers: { cookie } })).text()).replace(/<!-- -->/g, "");

const { t, app } = setUpTestApp({
  bootstrapTokens: BOOTSTRAP,
  env: { ROLLGATE_DATA_DIR: dataDir },
  demo: true,
});
beforeAll(async () => {
  cookie = `rollgate_session=${(await signIn(t.db, { email: "viewer@rollgate.dev", password: DEMO_TEST_PASSWORD })).secret}`;
  for (let i = 0; i < 5; i++) {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: `anchor-${i}` } })).status).toBe(201);
  }
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("audit chain anchor", () => {
  it("the server exports the head at start; verify checks it and exports the new head (mode 600)", async () => {
    const dir = path.join(dataDir, "audit-anchor");
    // Exported by the server at start, before the flags were created.
    await eventually(async () => statSync(dir, { throwIfNoEntry: false }) !== undefined, 10_000, "an exported anchor");
    const ok = verify();
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/audit chain intact/);
    const file = ok.stdout.match(/anchor exported to (\S+)/)![1]!;
    expect(path.dirname(file)).toBe(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const exported = JSON.parse(readFileSync(file, "utf8"));
    expect(exported).toMatchObject({ lastId: String(await maxId()), database: t.name });

    // The audit page shows the head: hash, count and time.
    const head = (await t.sql(`SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`)).rows[0].hash as string;
    const count = (await t.sql(`SELECT count(*)::int AS n FROM audit_log`)).rows[0].n as number;
    const page = await auditPage();
    expect(page).toContain(head);
    expect(page).toMatch(new RegExp(`data-testid="audit-anchor-count">${count}<`));
    expect(page).toContain("Last exported to the data dir");
  });

  it("deleting the newest entries behind the triggers' back fails verification, and the export is kept", async () => {
    const before = await maxId();
    const file = verify().stdout.match(/anchor exported to (\S+)/)![1]!;
    await t.sql(`SET session_replication_role = replica; DELETE FROM audit_log WHERE id > ${before - 2}; RESET session_replication_role;`);

    const broken = verify();
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/audit chain BROKEN/);
    expect(broken.stderr).toContain(`the log ends at entry #${before - 2}, but the audit_anchor row records #${before}`);
    expect(broken.stderr).toContain(`entries were deleted from the end of the log`);
    expect(JSON.parse(readFileSync(file, "utf8")).lastId).toBe(String(before)); // the evidence was not overwritten

    // A thorough attacker also rewrites the anchor row: the exported copy still tells.
    await t.sql(`UPDATE audit_anchor SET last_id = a.id, last_hash = a.hash, entries = entries - 2
                   FROM (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) a`);
    const still = verify();
    expect(still.status).toBe(1);
    expect(still.stderr).not.toContain("audit_anchor row records");
    expect(still.stderr).toMatch(
      new RegExp(`entries were deleted from the end of the log: the anchor exported at .* records \\d+ entries ending at #${before}`),
    );
    expect(JSON.parse(readFileSync(file, "utf8")).lastId).toBe(String(before));
    expect(await auditPage()).toContain("entries were deleted from the end of the log");
  });
});
