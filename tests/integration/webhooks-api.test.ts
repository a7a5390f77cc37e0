// Webhooks through the API, as the Admin page manages them: an admin adds a receiver, sends it a test
// that a real HTTP server receives, turns it off and on, and deletes it; URLs stay masked; nobody else
// may do any of it; an environment holds at most 20, however many are added at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { eventually } from "../support/eventually";
import { startReceiver } from "../support/webhook-receiver";

const admin = ROLE_TOKENS.admin;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: "allow" } });
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());

interface Listed {
  webhooks: { id: string; environment: string; name: string; url: string; enabled: boolean }[];
  deliveries: { webhookName: string; kind: string; status: string }[];
}

async function listed(): Promise<Listed> {
  const res = await call(app.url, "GET", "/api/v1/webhooks", { token: admin });
  expect(res.status).toBe(200);
  return res.body as Listed;
}

describe("the webhooks API", () => {
  it("adds a receiver, masks its URL, delivers a test to it, turns it off and on, and deletes it", async () => {
    const url = receiver.url("/hooks/secret-path-123");
    const created = await call(app.url, "POST", "/api/v1/webhooks", {
      token: admin,
      body: { environment: "staging", name: "#releases", url },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const mine = (await listed()).webhooks.find((w) => w.id === id);
    expect(mine).toMatchObject({ environment: "staging", name: "#releases", enabled: true });
    expect(mine!.url).toBe(`${new URL(url).origin}/…`);
    const { rows: audit } = await t.sql(`SELECT after FROM audit_log WHERE action = 'webhook.create' AND target_id = $1`, [id]);
    expect(JSON.stringify(audit)).not.toContain("secret-path-123");

    const test = await call(app.url, "POST", `/api/v1/webhooks/${id}/test`, { token: admin });
    expect(test.status).toBe(202);
    expect(test.body).toEqual({ queued: true });
    await eventually(() => receiver.received("/hooks/secret-path-123").length > 0, 3000, "the test message received");
    expect(receiver.received("/hooks/secret-path-123")).toHaveLength(1);
    expect(receiver.received("/hooks/secret-path-123")[0]!.headers["x-rollgate-event"]).toBe("webhook.test");
    await eventually(
      async () =>
        (await listed()).deliveries.some((d) => d.webhookName === "#releases" && d.kind === "webhook.test" && d.status === "delivered"),
      3000,
      "the delivery listed as delivered",
    );

    expect((await call(app.url, "PATCH", `/api/v1/webhooks/${id}`, { token: admin, body: { enabled: false } })).status).toBe(204);
    expect((await call(app.url, "PATCH", `/api/v1/webhooks/${id}`, { token: admin, body: { enabled: false } })).status).toBe(204);
    expect((await listed()).webhooks.find((w) => w.id === id)?.enabled).toBe(false);
    const refused = await call(app.url, "POST", `/api/v1/webhooks/${id}/test`, { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/Enable the webhook/);
    expect((await call(app.url, "PATCH", `/api/v1/webhooks/${id}`, { token: admin, body: { enabled: true } })).status).toBe(204);
    const toggles = await t.sql(`SELECT action FROM audit_log WHERE target_id = $1 AND action LIKE 'webhook.%able' ORDER BY id`, [id]);
    expect(toggles.rows.map((r) => r.action)).toEqual(["webhook.disable", "webhook.enable"]);

    expect((await call(app.url, "DELETE", `/api/v1/webhooks/${id}`, { token: admin })).status).toBe(204);
    expect((await listed()).webhooks.map((w) => w.id)).not.toContain(id);
    expect((await call(app.url, "DELETE", `/api/v1/webhooks/${id}`, { token: admin })).status).toBe(404);
    expect((await call(app.url, "PATCH", `/api/v1/webhooks/${id}`, { token: admin, body: { enabled: true } })).status).toBe(404);
    expect((await call(app.url, "POST", `/api/v1/webhooks/${id}/test`, { token: admin })).status).toBe(404);
  });

  it("refuses bad input with the field named, anyone but an admin, and ids that name no webhook, changing nothing", async () => {
    const count = async () => (await t.sql(`SELECT count(*)::int AS n FROM webhooks`)).rows[0].n as number;
    const before = await count();
    const invalid: [unknown, string][] = [
      [{ environment: "staging", name: "x", url: "http://user:pass@example.com/" }, "url"],
      [{ environment: "staging", name: "x", url: "ftp://example.com/" }, "url"],
      [{ environment: "staging", name: "", url: "https://example.com/" }, "name"],
      [{ environment: "nowhere", name: "x", url: "https://example.com/" }, "environment"],
    ];
    for (const [body, field] of invalid) {
      const res = await call(app.url, "POST", "/api/v1/webhooks", { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.error.fields ?? {}), JSON.stringify(body)).toEqual([field]);
    }
    const some = (
      await call(app.url, "POST", "/api/v1/webhooks", {
        token: admin,
        body: { environment: "staging", name: "kept", url: "https://example.com/k" },
      })
    ).body.id as string;
    const bad = await call(app.url, "PATCH", `/api/v1/webhooks/${some}`, { token: admin, body: { enabled: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.enabled).toBe("true or false");
    for (const role of ["engineer", "oncall", "product_owner", "viewer"] as const) {
      const token = ROLE_TOKENS[role];
      expect((await call(app.url, "GET", "/api/v1/webhooks", { token })).status, role).toBe(403);
      expect(
        (
          await call(app.url, "POST", "/api/v1/webhooks", {
            token,
            body: { environment: "staging", name: "x", url: "https://example.com/" },
          })
        ).status,
        role,
      ).toBe(403);
      expect((await call(app.url, "PATCH", `/api/v1/webhooks/${some}`, { token, body: { enabled: false } })).status, role).toBe(403);
      expect((await call(app.url, "DELETE", `/api/v1/webhooks/${some}`, { token })).status, role).toBe(403);
      expect((await call(app.url, "POST", `/api/v1/webhooks/${some}/test`, { token })).status, role).toBe(403);
    }
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      expect((await call(app.url, "DELETE", `/api/v1/webhooks/${id}`, { token: admin })).status, id).toBe(404);
      expect((await call(app.url, "POST", `/api/v1/webhooks/${id}/test`, { token: admin })).status, id).toBe(404);
    }
    expect(await count()).toBe(before + 1);
    expect((await listed()).webhooks.find((w) => w.id === some)?.enabled).toBe(true);
  });

  it("25 adds at once to one environment make exactly 20 webhooks; the rest get 409", async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        call(app.url, "POST", "/api/v1/webhooks", {
          token: admin,
          body: { environment: "production", name: `burst ${i}`, url: `https://example.com/${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect((await t.sql(`SELECT count(*)::int AS n FROM webhooks WHERE environment_key = 'production'`)).rows[0].n).toBe(20);
  });
});
