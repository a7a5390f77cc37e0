import pg from "pg";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import type { UserPrincipal } from "../../lib/auth/principal";
import { createDb, type Db } from "../../lib/db/client";
import { ROLES } from "../../lib/auth/roles";
import { enqueueNotification, NOTIFICATION_KINDS } from "../../lib/notifications";
import {
  startWebhookDelivery,
  backoffDelay,
  type WebhookDelivery,
  type WebhookDeliveryOptions,
} from "../../lib/notifications/delivery-worker";
import { createWebhook } from "../../lib/notifications/create-webhook";
import { deleteWebhook } from "../../lib/notifications/delete-webhook";
import { listWebhooks } from "../../lib/notifications/list-webhooks";
import { sendTestWebhook } from "../../lib/notifications/send-test-webhook";
import { setWebhookEnabled } from "../../lib/notifications/set-webhook-enabled";
import { createWebhookSchema } from "../../lib/notifications/webhook-schemas";
import { eventually } from "../support/eventually";
import { freePort } from "../support/free-port";
import { startReceiver } from "../support/webhook-receiver";
import { startTestApp } from "../support/test-app";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let admin: UserPrincipal;
const workers: WebhookDelivery[] = [];

// The receiver listens on 127.0.0.1: these workers may send there (the default may not, below).
const FAST = { pollMs: 200, timeoutMs: 3000, backoffMs: 50, maxBackoffMs: 400, maxAttempts: 4, allowPrivateNetworks: true };

async function worker(options: WebhookDeliveryOptions = {}, db: Db = t.db): Promise<WebhookDelivery> {
  const w = await startWebhookDelivery(db, { listenUrl: t.url, ...FAST, ...options });
  workers.push(w);
  return w;
}

/** A fresh environment per test, so each test's webhooks see only its own notifications. */
async function environment(): Promise<string> {
  const key = `env-${randomBytes(4).toString("hex")}`;
  await t.sql(`INSERT INTO environments (key, name) VALUES ($1, $1)`, [key]);
  return key;
}

async function webhook(env: string, url: string, name = "receiver"): Promise<string> {
  return (await createWebhook(t.db, admin, createWebhookSchema.parse({ environment: env, name, url }))).id;
}

function notify(env: string, extra: { text?: string; rolloutId?: string } = {}) {
  return t.db.$transaction(
    (tx) =>
      enqueueNotification(tx, {
        environment: env,
        kind: "rollout.advanced",
        text: extra.text ?? "checkout-redesign advanced to 50 % in production",
        flagKey: "checkout-redesign",
        rolloutId: extra.rolloutId ?? "7a0f7b8e-2f7c-4f55-8d57-7a4c1f0e6a11",
        fields: { Phase: "50 %", By: "engineer@rollgate.dev" },
      }),
    // Forty at once share the test's pool of 30 connections: on a loaded machine a turn can take
    // longer than Prisma's default 2 s wait to start.
    { maxWait: 20_000 },
  );
}

async function deliveries(webhookId: string) {
  return (
    await t.sql(
      `SELECT id::text, status, attempts, last_status, last_error, delivered_at FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at`,
      [webhookId],
    )
  ).rows as {
    id: string;
    status: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    delivered_at: Date | null;
  }[];
}

const t = setUpTestDatabase();
beforeAll(async () => {
  receiver = await startReceiver();
  const row = await t.db.user.create({ data: { email: "root@example.com", name: "Root", roles: ["admin"] } });
  admin = { kind: "user", userId: row.id, email: "root@example.com", name: "Root", roles: ["admin"], via: "session" };
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  await receiver?.close();
});

describe("webhook delivery against a real HTTP receiver", () => {
  it("delivers on the first try with Slack-compatible JSON and the machine-readable event", async () => {
    const env = await environment();
    const id = await webhook(env, receiver.url("/first"));
    await worker();
    expect(await notify(env, { text: "checkout <b>&</b> advanced" })).toBe(1);
    await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 5000, "delivered");

    const [got, ...more] = receiver.received("/first");
    expect(more).toEqual([]);
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["x-rollgate-event"]).toBe("rollout.advanced");
    const [row] = await deliveries(id);
    expect(got!.headers["x-rollgate-delivery"]).toBe(row!.id);
    const body = JSON.parse(got!.body);
    expect(body.text).toBe("checkout &lt;b&gt;&amp;&lt;/b&gt; advanced");
    expect(body.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: body.text } });
    expect(body.blocks[1].fields).toEqual([
      { type: "mrkdwn", text: "*Phase*\n50 %" },
      { type: "mrkdwn", text: "*By*\nengineer@rollgate.dev" },
    ]);
    expect(body.rollgate).toMatchObject({
      kind: "rollout.advanced",
      environment: env,
      flagKey: "checkout-redesign",
      rolloutId: "7a0f7b8e-2f7c-4f55-8d57-7a4c1f0e6a11",
      fields: { Phase: "50 %", By: "engineer@rollgate.dev" },
    });
    expect(new Date(body.rollgate.occurredAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(row).toMatchObject({ status: "delivered", attempts: 1, last_status: 200, last_error: null });
    expect(row!.delivered_at).toBeInstanceOf(Date);
  });

  it("a receiver that fails twice (500), then succeeds: delivered with attempts = 3, backing off in between", async () => {
    const env = await environment();
    const id = await webhook(
      env,
      receiver.url("/flaky", (n) => (n < 2 ? 500 : 204)),
    );
    await worker();
    await notify(env);
    await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 5000, "delivered");
    const [row] = await deliveries(id);
    expect(row).toMatchObject({ status: "delivered", attempts: 3, last_status: 204, last_error: null });
    const got = receiver.received("/flaky");
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.body)).size).toBe(1); // the same message each time
    expect(new Set(got.map((r) => r.headers["x-rollgate-delivery"])).size).toBe(1);
    // 50 ms after the first failure, 100 ms after the second (some slack for timers).
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(40);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(90);
  });

  it("records a failing receiver's status and error while it retries", async () => {
    const env = await environment();
    const id = await webhook(
      env,
      receiver.url("/down", () => 503),
    );
    await worker({ backoffMs: 60_000, maxBackoffMs: 60_000 });
    await notify(env);
    await eventually(async () => (await deliveries(id))[0]?.attempts === 1 && (await deliveries(id))[0]?.last_status === 503, 5000);
    const [row] = await deliveries(id);
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_status: 503, last_error: "HTTP 503 Service Unavailable" });
    await deleteWebhook(t.db, admin, id); // leaves nothing pending for later tests
  });

  it("a receiver that never answers is timed out, retried, and finally given up as failed", async () => {
    const env = await environment();
    const id = await webhook(
      env,
      receiver.url("/hang", () => "hang"),
    );
    await worker({ timeoutMs: 300, maxAttempts: 3 });
    await notify(env);
    await eventually(async () => (await deliveries(id))[0]?.status === "failed", 8000, "given up");
    const [row] = await deliveries(id);
    expect(row).toMatchObject({ status: "failed", attempts: 3, last_status: null, last_error: "no answer within 300 ms" });
    expect(row!.delivered_at).toBeNull();
    expect(receiver.received("/hang")).toHaveLength(3);
  });

  it("gives up on a refused connection too, recording why", async () => {
    const env = await environment();
    const id = await webhook(env, `http://127.0.0.1:${await freePort()}/nothing-listens`);
    await worker({ maxAttempts: 2 });
    await notify(env);
    await eventually(async () => (await deliveries(id))[0]?.status === "failed", 5000, "given up");
    expect((await deliveries(id))[0]).toMatchObject({ attempts: 2, last_status: null, last_error: "connection refused (ECONNREFUSED)" });
  });

  it("by default sends nothing to a loopback address, by address or by name, and says why", async () => {
    const env = await environment();
    const direct = receiver.url("/private-by-address");
    const byAddress = await webhook(env, direct, "by address");
    const byName = await webhook(env, direct.replace("127.0.0.1", "localhost").replace("by-address", "by-name"), "by name");
    const mapped = await webhook(env, direct.replace("127.0.0.1", "[::ffff:127.0.0.1]").replace("by-address", "mapped"), "mapped");
    await worker({ maxAttempts: 1, allowPrivateNetworks: false });
    await notify(env);
    for (const id of [byAddress, byName, mapped])
      await eventually(async () => (await deliveries(id))[0]?.status === "failed", 5000, "refused");
    const allow = "the operator can allow them with ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow";
    expect((await deliveries(byAddress))[0]?.last_error).toBe(`refused: 127.0.0.1 is a private or local address; ${allow}`);
    expect((await deliveries(byName))[0]?.last_error).toBe(`refused: localhost resolves to a private or local address; ${allow}`);
    expect((await deliveries(mapped))[0]?.last_error).toBe(`refused: ::ffff:7f00:1 is a private or local address; ${allow}`);
    for (const path of ["/private-by-address", "/private-by-name", "/private-mapped"]) expect(receiver.received(path)).toEqual([]);
  });

  it("a receiver that answers 200 and then trickles a body it never ends is delivered, and its connection closed", async () => {
    let closed = false;
    const trickler = http.createServer((req, res) => {
      req.resume();
      req.socket.on("close", () => (closed = true));
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("still ");
      const timer = setInterval(() => res.write("going "), 100);
      res.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickler.listen(0, "127.0.0.1", resolve));
    try {
      const env = await environment();
      const id = await webhook(env, `http://127.0.0.1:${(trickler.address() as AddressInfo).port}/trickle`);
      await worker();
      await notify(env);
      await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 5000, "delivered");
      await eventually(async () => closed, 3000, "the receiver's connection closed by the sender");
    } finally {
      trickler.closeAllConnections();
      await new Promise((resolve) => trickler.close(resolve));
    }
  });

  it("an action whose transaction rolls back sends nothing", async () => {
    const env = await environment();
    const id = await webhook(env, receiver.url("/rolled-back"));
    await worker();
    await expect(
      t.db.$transaction(async (tx) => {
        await enqueueNotification(tx, { environment: env, kind: "rollout.paused", text: "paused" });
        throw new Error("the action failed after enqueueing");
      }),
    ).rejects.toThrow("the action failed");
    expect(await deliveries(id)).toEqual([]); // the outbox row went with the transaction
    // A positive control enqueued after it: once the worker has delivered that, it has looked at the
    // outbox since the rollback, and the only request the receiver got is the control's.
    expect(await notify(env, { text: "committed after the rollback" })).toBe(1);
    await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 5000, "the control delivered");
    expect(await deliveries(id)).toHaveLength(1);
    expect(receiver.received("/rolled-back").map((r) => JSON.parse(r.body).text)).toEqual(["committed after the rollback"]);
  });

  it("two workers at once deliver each notification exactly once", async () => {
    const env = await environment();
    const a = await webhook(env, receiver.url("/pair-a"), "a");
    // Every third delivery's first attempt fails, and only that one: failing every third request
    // instead let a loaded machine's interleaving land one delivery on four failures, past
    // maxAttempts, given up, so the run waited out its 15 s for a "delivered" that could not come.
    const seen = new Set<string>();
    const b = await webhook(
      env,
      receiver.url("/pair-b", (_n, headers) => {
        const delivery = String(headers["x-rollgate-delivery"]);
        const first = !seen.has(delivery);
        seen.add(delivery);
        return first && seen.size % 3 === 0 ? 500 : 200;
      }),
      "b",
    );
    // As two instances would: separate connection pools and listeners.
    const otherInstance = createDb(t.url, { max: 5 });
    // A generous timeout: a request that times out is retried by design (at least once), which a
    // loaded machine would turn into duplicates this test is not about.
    await Promise.all([worker({ concurrency: 3, timeoutMs: 10_000 }), worker({ concurrency: 3, timeoutMs: 10_000 }, otherInstance)]);
    const N = 40;
    await Promise.all(Array.from({ length: N }, (_, i) => notify(env, { text: `event ${i}` })));
    await eventually(
      async () => [...(await deliveries(a)), ...(await deliveries(b))].every((d) => d.status === "delivered"),
      15_000,
      "all delivered",
    );
    expect(await deliveries(a)).toHaveLength(N);
    const toA = receiver.received("/pair-a");
    expect(toA).toHaveLength(N);
    expect(new Set(toA.map((r) => r.headers["x-rollgate-delivery"])).size).toBe(N);
    expect(new Set(toA.map((r) => JSON.parse(r.body).text)).size).toBe(N);
    // b failed some first attempts: each delivery got exactly (attempts) requests, never more.
    const toB = receiver.received("/pair-b");
    const perDelivery = new Map<string, number>();
    for (const r of toB)
      perDelivery.set(String(r.headers["x-rollgate-delivery"]), (perDelivery.get(String(r.headers["x-rollgate-delivery"])) ?? 0) + 1);
    for (const d of await deliveries(b)) expect(perDelivery.get(d.id)).toBe(d.attempts);
    expect(perDelivery.size).toBe(N);
    // A third of them failed once and were retried once: no more, no fewer requests than that.
    expect(toB).toHaveLength(N + Math.floor(N / 3));
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await otherInstance.$disconnect();
  });

  it("a hanging receiver never holds up the action: actions commit while its delivery still waits", async () => {
    const env = await environment();
    await webhook(
      env,
      // The first call is held open; later ones are answered.
      receiver.url("/slow", (n) => (n === 0 ? "hang" : 200)),
    );
    // An attempt this long ends only when the receiver answers: an action that waited for the
    // delivery would wait for the receiver.
    await worker({ timeoutMs: 60_000, maxAttempts: 1 });
    await notify(env);
    await eventually(() => receiver.received("/slow").length >= 1, 10_000, "the worker to call the receiver");
    for (let i = 0; i < 5; i++) {
      const committed = await Promise.race([notify(env).then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
      expect(committed, `action ${i + 1} waited for the hanging receiver`).toBe(true);
    }
    // All six are in the outbox, and the first call is still held open.
    expect(receiver.hanging()).toBe(1);
    const [{ n }] = (
      await t.sql(
        `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.environment_key = $1`,
        [env],
      )
    ).rows as [{ n: number }];
    expect(n).toBe(6);
    // Let the held call finish, so stopping the worker does not wait out the attempt.
    receiver.release();
  });

  it("sends only to enabled webhooks of the event's environment; disabling gives up pending deliveries", async () => {
    const env = await environment();
    const other = await environment();
    const on = await webhook(env, receiver.url("/on"));
    const off = await webhook(env, receiver.url("/off"));
    const elsewhere = await webhook(other, receiver.url("/elsewhere"));
    await setWebhookEnabled(t.db, admin, { webhookId: off, enabled: false });
    expect(await notify(env)).toBe(1);
    expect(await notify(await environment())).toBe(0);
    await worker();
    await eventually(async () => (await deliveries(on))[0]?.status === "delivered", 5000);
    expect(await deliveries(off)).toEqual([]);
    expect(await deliveries(elsewhere)).toEqual([]);

    // Queued while the worker is stopped, then disabled: never sent.
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await notify(env);
    await setWebhookEnabled(t.db, admin, { webhookId: on, enabled: false });
    const [, second] = await deliveries(on);
    expect(second).toMatchObject({ status: "failed", attempts: 0, last_error: "webhook disabled before delivery" });
    // A positive control, queued behind it for a webhook still enabled: once a worker has delivered it,
    // it has claimed from the outbox with the given-up delivery in it (a claim counts the attempt).
    const control = await webhook(env, receiver.url("/on-control"), "control");
    expect(await notify(env)).toBe(1); // `on` and `off` are both disabled now: only the control
    await worker();
    await eventually(async () => (await deliveries(control))[0]?.status === "delivered", 5000, "the control delivered");
    expect((await deliveries(on))[1]).toMatchObject({ id: second!.id, status: "failed", attempts: 0 });
    expect(receiver.received("/on")).toHaveLength(1);
    expect(receiver.received("/off")).toEqual([]);

    // A delivery a transaction queued while `off` was being disabled (it still saw it enabled and
    // committed after): given up when `off` is enabled again, not sent then as stale news.
    await t.sql(`INSERT INTO webhook_deliveries (webhook_id, kind, payload) VALUES ($1, 'rollout.advanced', '{}'::jsonb)`, [off]);
    await setWebhookEnabled(t.db, admin, { webhookId: off, enabled: true });
    expect(await deliveries(off)).toEqual([expect.objectContaining({ status: "failed", last_error: "webhook disabled before delivery" })]);
    // Two toggles at once: one change, one audit entry.
    await Promise.all([1, 2].map(() => setWebhookEnabled(t.db, admin, { webhookId: off, enabled: false })));
    expect(
      (await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'webhook.disable' AND target_id = $1`, [off])).rows[0].n,
    ).toBe(2);
  });

  it("a test message goes to the one webhook, and the admin list shows it with the URL masked", async () => {
    const env = await environment();
    const id = await webhook(env, receiver.url("/test-button?token=secret-part"), "#releases");
    const sibling = await webhook(env, receiver.url("/sibling"), "sibling");
    await worker();
    await sendTestWebhook(t.db, admin, id);
    await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 5000);
    expect(await deliveries(sibling)).toEqual([]);
    const body = JSON.parse(receiver.received("/test-button?token=secret-part")[0]!.body);
    expect(body.rollgate).toMatchObject({ kind: "webhook.test", environment: env, flagKey: null });
    expect(body.text).toContain("#releases");

    const listed = await listWebhooks(t.db, admin);
    const mine = listed.webhooks.find((w) => w.id === id)!;
    expect(mine.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    expect(JSON.stringify(listed)).not.toContain("secret-part");
    expect(listed.deliveries.find((d) => d.webhookName === "#releases")).toMatchObject({
      kind: "webhook.test",
      status: "delivered",
      attempts: 1,
      lastStatus: 200,
    });
    const audit = await t.sql(`SELECT action, after::text FROM audit_log WHERE target_id = $1`, [id]);
    expect(audit.rows.map((r) => r.action)).toEqual(["webhook.create"]);
    expect(audit.rows[0].after).not.toContain("secret-part");
  });
});

describe("webhook administration", () => {
  it("only admins may add, list, change, test or delete webhooks; nothing is written otherwise", async () => {
    const env = await environment();
    const id = await webhook(env, receiver.url("/roles"));
    const before = (await t.sql(`SELECT (SELECT count(*) FROM webhooks) AS w, (SELECT count(*) FROM webhook_deliveries) AS d`)).rows[0];
    for (const role of ROLES.filter((r) => r !== "admin")) {
      const p: UserPrincipal = { ...admin, roles: [role] };
      const input = createWebhookSchema.parse({ environment: env, name: "nope", url: "https://example.com/hook" });
      await expect(createWebhook(t.db, p, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(listWebhooks(t.db, p)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(setWebhookEnabled(t.db, p, { webhookId: id, enabled: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(sendTestWebhook(t.db, p, id)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(deleteWebhook(t.db, p, id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(
      createWebhook(t.db, null, createWebhookSchema.parse({ environment: env, name: "x", url: "https://e.x/" })),
    ).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    const after = (await t.sql(`SELECT (SELECT count(*) FROM webhooks) AS w, (SELECT count(*) FROM webhook_deliveries) AS d`)).rows[0];
    expect(after).toEqual(before);
  });

  it("validates the URL, name and environment", async () => {
    const bad = (url: string) => createWebhookSchema.safeParse({ environment: "staging", name: "x", url }).success;
    expect(bad("https://hooks.slack.com/services/T0/B0/XYZ")).toBe(true);
    for (const url of [
      "",
      "hooks.slack.com/x",
      "ftp://example.com/",
      "javascript:alert(1)",
      "https://user:pw@example.com/",
      `https://e.x/${"a".repeat(2000)}`,
      "https://e.x/\u202Eevil",
    ]) {
      expect(bad(url), url).toBe(false);
    }
    expect(createWebhookSchema.parse({ environment: "staging", name: " x ", url: "https://e.x/a#frag" })).toEqual({
      environment: "staging",
      name: "x",
      url: "https://e.x/a",
    });
    await expect(
      createWebhook(t.db, admin, createWebhookSchema.parse({ environment: "nowhere", name: "x", url: "https://e.x/" })),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED", details: { fields: { environment: "unknown environment" } } });
    await expect(deleteWebhook(t.db, admin, "00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(sendTestWebhook(t.db, admin, "00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("the database refuses a non-http URL even if validation were bypassed", async () => {
    await expect(t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('staging', 'x', 'file:///etc/passwd')`)).rejects.toThrow(
      /check constraint/,
    );
  });

  it("deleting a webhook is audited and takes its deliveries with it", async () => {
    const env = await environment();
    const id = await webhook(env, receiver.url("/deleted"));
    await notify(env);
    await deleteWebhook(t.db, admin, id);
    expect(await deliveries(id)).toEqual([]);
    const audit = await t.sql(`SELECT action, before FROM audit_log WHERE target_id = $1 ORDER BY id`, [id]);
    expect(audit.rows.map((r) => r.action)).toEqual(["webhook.create", "webhook.delete"]);
    expect(audit.rows[1].before).toMatchObject({ environment: env, enabled: true });
  });
});

describe("notification kinds and backoff", () => {
  it("exports the rollout, kill-switch and guardrail kinds", () => {
    expect(NOTIFICATION_KINDS).toEqual([
      "flag.killed",
      "flag.restored",
      "guardrail.breached",
      "approval.requested",
      "approval.signed",
      "rollout.advanced",
      "rollout.paused",
      "rollout.resumed",
      "rollout.rolled_back",
    ]);
  });

  it("doubles the delay after each failure, up to the cap", () => {
    expect([1, 2, 3, 4, 5, 20].map((n) => backoffDelay(n, 1000, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe("the server process", () => {
  it("runs the delivery worker: a committed notification reaches the receiver, and SIGTERM still exits cleanly", async () => {
    const app = await startTestApp({ databaseUrl: t.url });
    try {
      const env = await environment();
      const id = await webhook(
        env,
        receiver.url("/from-the-server", (n) => (n === 0 ? 500 : 200)),
      );
      await notify(env, { text: "sent by the server's worker" });
      // First attempt fails, the retry one second later succeeds (the server's default backoff).
      await eventually(async () => (await deliveries(id))[0]?.status === "delivered", 10_000, "delivered by the server");
      expect((await deliveries(id))[0]).toMatchObject({ attempts: 2, last_status: 200 });
      expect(JSON.parse(receiver.received("/from-the-server")[1]!.body).text).toBe("sent by the server's worker");
    } finally {
      expect(await app.stop("SIGTERM")).toBe(0);
    }
  });
});

// A writer that queues a delivery after its audit entry (a plan edit asking for approvals again, a
// segment edit's replans) holds the audit chain's lock while the delivery's foreign key takes KEY SHARE
// on the webhook row. A toggle that locked the row FOR UPDATE and then wanted the audit lock, or a
// delete that removed the row and then wanted it, waited for that writer while it waited for them.
describe("toggling or deleting a webhook while a writer queues a delivery to it after its audit entry", () => {
  for (const change of ["disable", "delete"] as const) {
    it(`${change}: both finish, in turn, no deadlock`, async () => {
      const env = await environment();
      const id = await webhook(env, receiver.url(`/${change}`));
      const writer = new pg.Client({ connectionString: t.url });
      await writer.connect();
      try {
        await writer.query("BEGIN");
        // The audit chain's lock, as every audit entry's trigger takes it.
        await writer.query("SELECT pg_advisory_xact_lock(7346010001)");
        const changing =
          change === "disable" ? setWebhookEnabled(t.db, admin, { webhookId: id, enabled: false }) : deleteWebhook(t.db, admin, id);
        const outcome = changing.then(
          () => "done",
          (err: unknown) => String(err),
        );
        // The change has taken what it takes first and now waits for the audit lock.
        await eventually(
          async () =>
            (
              await t.sql(
                `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = (7346010001::bigint & 4294967295)::oid
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            ).rows[0].n === 1,
          5_000,
          "the change waits for the audit lock",
        );
        // The writer's delivery: its foreign key must not wait for the change, which waits for the writer.
        const queued = await writer
          .query(`INSERT INTO webhook_deliveries (webhook_id, kind, payload) VALUES ($1, 'rollout.advanced', '{}')`, [id])
          .then(
            () => "queued",
            (err: unknown) => String(err),
          );
        expect(queued).toBe("queued");
        await writer.query("COMMIT");
        expect(await outcome).toBe("done");
        const left = await t.sql(`SELECT count(*)::int AS n FROM webhooks WHERE id = $1`, [id]);
        expect(left.rows[0].n).toBe(change === "delete" ? 0 : 1);
      } finally {
        await writer.query("ROLLBACK").catch(() => {});
        await writer.end();
      }
    });
  }
});
