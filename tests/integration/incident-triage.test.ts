import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS } from "../support/http";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
/** A flag killed in `env`; returns its incident's id. */
async function killedIncident(env = "production"): Promise<{ key: string; id: string }> {
  const key = `triage-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
  expect((await patchFlagState(app.url, ROLE_TOKENS.engineer, key, env, { enabled: true, rolloutPercent: 100 })).status).toBe(200);
  const killed = await call(app.url, "POST", `/api/v1/flags/${key}/environments/${env}/kill`, {
    token: ROLE_TOKENS.oncall,
    body: { reason: "checkout errors" },
  });
  expect(killed.status).toBe(200);
  return { key, id: killed.body.incidentId };
}

async function person(roles: string[], disabled = false): Promise<{ id: string; name: string }> {
  const name = `Person ${process.pid}-${++seq}`;
  const r = await t.sql(`INSERT INTO users (email, name, roles, disabled_at) VALUES ($1, $2, $3, $4) RETURNING id`, [
    `p${process.pid}-${seq}@example.test`,
    name,
    roles,
    disabled ? new Date() : null,
  ]);
  return { id: r.rows[0].id, name };
}

async function incidentRow(id: string) {
  return (
    await t.sql(
      `SELECT severity, assignee_id, version, (SELECT count(*)::int FROM incident_events WHERE incident_id = $1) AS events FROM incidents WHERE id = $1`,
      [id],
    )
  ).rows[0];
}

async function auditFor(id: string): Promise<{ action: string; before: Record<string, unknown>; after: Record<string, unknown> }[]> {
  return (await t.sql(`SELECT action, before, after FROM audit_log WHERE target_id LIKE $1 ORDER BY id`, [`%/${id}`])).rows;
}

describe("incident triage: severity, assignee, notes", () => {
  it("opens at sev1 in production and sev2 elsewhere, with nobody assigned", async () => {
    const prod = await killedIncident("production");
    const staging = await killedIncident("staging");
    const a = await call(app.url, "GET", `/api/v1/incidents/${prod.id}`, { token: ROLE_TOKENS.viewer });
    expect(a.body).toMatchObject({ severity: "sev1", assignee: null, notes: [] });
    const b = await call(app.url, "GET", `/api/v1/incidents/${staging.id}`, { token: ROLE_TOKENS.viewer });
    expect(b.body.severity).toBe("sev2");
    const list = await call(app.url, "GET", "/api/v1/incidents", { token: ROLE_TOKENS.viewer });
    expect(list.body.incidents.find((i: { id: string }) => i.id === prod.id)).toMatchObject({ severity: "sev1", assigneeId: null });
  });

  it("changes severity and assignee against the version read, audited, with a timeline entry", async () => {
    const { id } = await killedIncident();
    const alice = await person(["oncall"]);
    const changed = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, {
      token: ROLE_TOKENS.engineer,
      body: { version: 1, severity: "sev2", assigneeId: alice.id },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ severity: "sev2", assignee: { id: alice.id, name: alice.name }, version: 2 });
    expect(changed.body.timeline.map((e: { message: string }) => e.message)).toContain(`Severity sev1 → sev2; Assigned to ${alice.name}`);
    const audit = (await auditFor(id)).filter((a) => a.action === "incident.triaged");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toMatchObject({ severity: "sev1", assigneeId: null, version: 1 });
    expect(audit[0]!.after).toMatchObject({ severity: "sev2", assigneeId: alice.id, version: 2 });

    // A stale version: 409 with what is stored now, and nothing changes.
    const stale = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, {
      token: ROLE_TOKENS.oncall,
      body: { version: 1, severity: "sev3" },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("VERSION_CONFLICT");
    expect(stale.body.current).toMatchObject({ severity: "sev2", version: 2 });
    expect(await incidentRow(id)).toMatchObject({ severity: "sev2", version: 2 });

    // Unassigning is null.
    const unassigned = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, {
      token: ROLE_TOKENS.admin,
      body: { version: 2, assigneeId: null },
    });
    expect(unassigned.status).toBe(200);
    expect(unassigned.body).toMatchObject({ assignee: null, version: 3 });
  });

  it("refuses bad input with the field named and changes nothing", async () => {
    const { id } = await killedIncident();
    const before = await incidentRow(id);
    const auditBefore = (await auditFor(id)).length;
    const cases: [unknown, Record<string, string>][] = [
      [{ version: 1, severity: "sev9" }, { severity: "severity must be sev1, sev2 or sev3" }],
      [{ version: 1 }, { severity: "send severity, assigneeId or both" }],
      [{ severity: "sev2" }, { version: "version is required (the version you last read)" }],
      [{ version: 1, assigneeId: "bob" }, { assigneeId: "assigneeId must be a user id or null" }],
    ];
    for (const [body, fields] of cases) {
      const r = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, { token: ROLE_TOKENS.oncall, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.fields).toEqual(fields);
    }
    const extra = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, {
      token: ROLE_TOKENS.oncall,
      body: { version: 1, status: "resolved" },
    });
    expect(extra.status).toBe(400);

    // Assignees are active people who may work incidents.
    const viewer = await person(["viewer"]);
    const gone = await person(["oncall"], true);
    for (const [assigneeId, message] of [
      [viewer.id, "the assignee must be on-call, an engineer or an admin"],
      [gone.id, "no active user has this id"],
      ["00000000-0000-4000-8000-000000000000", "no active user has this id"],
    ] as const) {
      const r = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, { token: ROLE_TOKENS.oncall, body: { version: 1, assigneeId } });
      expect(r.status).toBe(422);
      expect(r.body.error.fields).toEqual({ assigneeId: message });
    }
    const badNote = await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, { token: ROLE_TOKENS.oncall, body: { body: "  " } });
    expect(badNote.status).toBe(400);
    expect(badNote.body.error.fields).toEqual({ body: "write the note" });
    const longNote = await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, {
      token: ROLE_TOKENS.oncall,
      body: { body: "x".repeat(2001) },
    });
    expect(longNote.status).toBe(400);
    expect(longNote.body.error.fields).toEqual({ body: "at most 2000 characters" });

    expect(await incidentRow(id)).toEqual(before);
    expect((await auditFor(id)).length).toBe(auditBefore);
  });

  it("viewers and product owners may not triage or write notes", async () => {
    const { id } = await killedIncident();
    for (const token of [ROLE_TOKENS.viewer, ROLE_TOKENS.product_owner]) {
      expect((await call(app.url, "PATCH", `/api/v1/incidents/${id}`, { token, body: { version: 1, severity: "sev3" } })).status).toBe(403);
      expect((await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, { token, body: { body: "hi" } })).status).toBe(403);
    }
    expect((await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, { body: { body: "hi" } })).status).toBe(401);
    expect(await incidentRow(id)).toMatchObject({ severity: "sev1", version: 1, events: 1 });
  });

  it("notes are added by on-call, engineers and admins, audited, kept in order and never edited", async () => {
    const { id } = await killedIncident();
    const first = await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, {
      token: ROLE_TOKENS.oncall,
      body: { body: "Rolled back deploy 412.\nWatching errors." },
    });
    expect(first.status).toBe(201);
    expect(first.body.notes).toEqual([
      { at: expect.any(String), actor: "oncall-bot (token)", body: "Rolled back deploy 412.\nWatching errors." },
    ]);
    for (const token of [ROLE_TOKENS.engineer, ROLE_TOKENS.admin]) {
      expect((await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, { token, body: { body: "seen" } })).status).toBe(201);
    }
    const stale = await call(app.url, "POST", `/api/v1/incidents/${id}/notes`, {
      token: ROLE_TOKENS.oncall,
      body: { body: "late", version: 1 },
    });
    expect(stale.status).toBe(409);
    const read = await call(app.url, "GET", `/api/v1/incidents/${id}`, { token: ROLE_TOKENS.viewer });
    expect(read.body.notes.map((n: { body: string }) => n.body)).toEqual(["Rolled back deploy 412.\nWatching errors.", "seen", "seen"]);
    expect(read.body.timeline.filter((e: { kind: string }) => e.kind === "note")).toHaveLength(3);
    expect((await auditFor(id)).filter((a) => a.action === "incident.note")).toHaveLength(3);
    await expect(t.sql(`UPDATE incident_events SET message = 'edited' WHERE incident_id = $1 AND kind = 'note'`, [id])).rejects.toThrow();
    await expect(t.sql(`DELETE FROM incident_events WHERE incident_id = $1 AND kind = 'note'`, [id])).rejects.toThrow();
  });

  it("acknowledging and resolving show once on the timeline; a resolved incident's triage is final", async () => {
    const { id } = await killedIncident();
    const ack = await call(app.url, "POST", `/api/v1/incidents/${id}/acknowledge`, { token: ROLE_TOKENS.oncall, body: { version: 1 } });
    expect(ack.status).toBe(200);
    const entries = ack.body.timeline.filter((e: { message: string }) => /acknowledged/i.test(e.message));
    expect(entries).toEqual([expect.objectContaining({ kind: "acknowledged", message: "Acknowledged" })]);
    // A token's service user is automation, not someone to page: acknowledging through it assigns nobody.
    expect(ack.body.assignee).toBeNull();
    // Resolving likewise appears once, and a resolved incident's triage is final.
    const resolved = await call(app.url, "POST", `/api/v1/incidents/${id}/resolve`, {
      token: ROLE_TOKENS.oncall,
      body: { version: 2, summary: "fixed it" },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.timeline.filter((e: { message: string }) => /resolved/i.test(e.message))).toHaveLength(1);
    const late = await call(app.url, "PATCH", `/api/v1/incidents/${id}`, {
      token: ROLE_TOKENS.oncall,
      body: { version: 3, severity: "sev3" },
    });
    expect(late.status).toBe(409);
  });
});
