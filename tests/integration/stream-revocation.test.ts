// Open streams end when their credential does: revoking an SDK or user token, signing out, a password
// change ending other sessions, an admin disabling a user. The services run against the same database
// as the server process, the way another instance (or the dashboard) would, so what closes the stream
// is the NOTIFY path, not anything in this process.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { postgresIdentity } from "../../lib/auth/identity";
import { hashPassword } from "../../lib/auth/password";
import type { UserPrincipal } from "../../lib/auth/principal";
import { signOut, startSession } from "../../lib/auth/sessions";
import { hashSecret } from "../../lib/auth/secrets";
import { createApiToken } from "../../lib/tokens/create-api-token";
import { revokeApiToken } from "../../lib/tokens/revoke-api-token";
import { changePassword } from "../../lib/users/change-password";
import { updateUser } from "../../lib/users/update-user";
import { call } from "../support/http";

const ADMIN = "revocation-admin-token";
const ENG = "revocation-engineer-token";
let admin: UserPrincipal;

/** A generous bound: tests check that the stream closes, not how fast (the target is a second). */
const CLOSES_WITHIN_MS = 5000;

interface OpenStream {
  /** Resolves with the time the server ended the response. */
  ended: Promise<number>;
  /** Resolves once `text` has arrived. */
  saw(text: string): Promise<void>;
  close(): Promise<void>;
}

async function openStream(path: string, headers: Record<string, string>): Promise<OpenStream> {
  const controller = new AbortController();
  // A token created a moment ago reaches the server's in-memory token set through its own NOTIFY.
  let res = await fetch(`${app.url}${path}`, { headers, signal: controller.signal });
  for (const deadline = Date.now() + 3000; res.status === 401 && Date.now() < deadline;) {
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 50));
    res = await fetch(`${app.url}${path}`, { headers, signal: controller.signal });
  }
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let received = "";
  const waiters = new Set<() => void>();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return Date.now();
        received += Buffer.from(value).toString("utf8");
        for (const w of waiters) w();
      }
    } catch {
      return -1; // aborted by the test itself
    }
  })();
  return {
    ended,
    saw: (text) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stream did not send ${JSON.stringify(text)}: ${received}`)), 5000);
        const check = () => {
          if (!received.includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    async close() {
      controller.abort();
      await ended;
    },
  };
}

/** Asserts the stream ends within the bound after `action`, and returns how long it took. */
async function closesAfter(stream: OpenStream, action: () => Promise<unknown>, since?: number): Promise<number> {
  // `since`: an earlier action may already have ended this stream; it counts from that one.
  const started = since ?? Date.now();
  await action();
  const timeout = new Promise<number>((_, reject) =>
    setTimeout(() => reject(new Error(`stream still open ${CLOSES_WITHIN_MS} ms after the credential ended`)), CLOSES_WITHIN_MS),
  );
  const at = await Promise.race([stream.ended, timeout]);
  expect(at, "the server ended the stream after the action (-1: the test aborted it)").toBeGreaterThanOrEqual(started);
  return at - started;
}

/** Still open: it receives the next change. */
async function stillOpen(stream: OpenStream, flagKey: string): Promise<void> {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key: flagKey } })).status).toBe(201);
  await stream.saw(flagKey);
}

async function newUser(email: string, roles: string[]) {
  return t.db.user.create({ data: { email, name: email.split("@")[0]!, roles, passwordHash: await hashPassword("old-password-1") } });
}

const { t, app } = setUpTestApp({ bootstrapTokens: `admin:admin:${ADMIN},eng:engineer:${ENG}` });
beforeAll(async () => {
  admin = (await postgresIdentity(t.db).fromApiToken(ADMIN)) as UserPrincipal;
});

describe("GET /api/v1/stream (SDK token)", () => {
  it("closes when its token is revoked; other tokens' streams stay open; the reconnect gets 401", async ({ annotate }) => {
    const doomed = await createApiToken(t.db, admin, { kind: "sdk", name: "doomed", environment: "production" });
    const other = await createApiToken(t.db, admin, { kind: "sdk", name: "other", environment: "production" });
    const a = await openStream("/api/v1/stream", { authorization: `Bearer ${doomed.token}` });
    const b = await openStream("/api/v1/stream", { authorization: `Bearer ${other.token}` });
    try {
      await a.saw("event: config");
      await b.saw("event: config");
      const ms = await closesAfter(a, () => revokeApiToken(t.db, admin, doomed.id));
      await annotate(`SDK stream closed ${ms} ms after the revocation committed`); // a figure for the record
      await stillOpen(b, "sdk-still-open");
      const again = await fetch(`${app.url}/api/v1/stream`, { headers: { authorization: `Bearer ${doomed.token}` } });
      expect(again.status).toBe(401);
      await again.body?.cancel();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("closes when its token row is deleted outright", async () => {
    const doomed = await createApiToken(t.db, admin, { kind: "sdk", name: "deleted", environment: "staging" });
    const a = await openStream("/api/v1/stream", { "x-api-key": doomed.token });
    try {
      await a.saw("event: config");
      await closesAfter(a, () => t.sql("DELETE FROM api_tokens WHERE id = $1", [doomed.id]));
    } finally {
      await a.close();
    }
  });
});

describe("GET /api/v1/live (dashboard)", () => {
  it("closes on sign-out of its session; the same user's other session stays open", async ({ annotate }) => {
    const user = await newUser("signout@rollgate.test", ["viewer"]);
    const one = await startSession(t.db, user, { via: "password" });
    const two = await startSession(t.db, user, { via: "password" });
    const a = await openStream("/api/v1/live", { cookie: `rollgate_session=${one.secret}` });
    const b = await openStream("/api/v1/live", { cookie: `rollgate_session=${two.secret}` });
    try {
      await a.saw("retry:");
      await b.saw("retry:");
      const ms = await closesAfter(a, () => signOut(t.db, one.secret));
      await annotate(`dashboard stream closed ${ms} ms after sign-out committed`); // a figure for the record
      await stillOpen(b, "live-after-sign-out");
      const again = await fetch(`${app.url}/api/v1/live`, { headers: { cookie: `rollgate_session=${one.secret}` } });
      expect(again.status).toBe(401);
      await again.body?.cancel();
      // What a page whose stream was refused asks to tell "signed out" from "unreachable"
      // (components/live/live-stream.ts): the status a GET would get, without opening a stream.
      const head = (secret: string) =>
        fetch(`${app.url}/api/v1/live`, { method: "HEAD", headers: { cookie: `rollgate_session=${secret}` } });
      const ended = await head(one.secret);
      expect([ended.status, await ended.text()]).toEqual([401, ""]);
      const live = await head(two.secret);
      expect([live.status, live.headers.get("content-type"), await live.text()]).toEqual([200, "text/event-stream; charset=utf-8", ""]);
      const post = await fetch(`${app.url}/api/v1/live`, { method: "POST", headers: { cookie: `rollgate_session=${two.secret}` } });
      expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
      await post.body?.cancel();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a password change closes the other sessions' streams and keeps the one that made the change", async () => {
    const user = await newUser("password@rollgate.test", ["engineer"]);
    const here = await startSession(t.db, user, { via: "password" });
    const stolen = await startSession(t.db, user, { via: "password" });
    const mine = await openStream("/api/v1/live", { cookie: `rollgate_session=${here.secret}` });
    const theirs = await openStream("/api/v1/live", { cookie: `rollgate_session=${stolen.secret}` });
    try {
      await mine.saw("retry:");
      await theirs.saw("retry:");
      const me = (await postgresIdentity(t.db).fromSession(here.secret))!;
      await closesAfter(theirs, () =>
        changePassword(
          t.db,
          me,
          { currentPassword: "old-password-1", newPassword: "new-password-2", confirmPassword: "new-password-2" },
          here.secret,
        ),
      );
      await stillOpen(mine, "live-after-password-change");
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it("an admin disabling a user closes that user's streams, by session and by user token", async () => {
    const user = await newUser("disabled@rollgate.test", ["engineer"]);
    const session = await startSession(t.db, user, { via: "password" });
    const token = await createApiToken(t.db, admin, { kind: "user", name: "disabled-token", userId: user.id });
    const bySession = await openStream("/api/v1/live", { cookie: `rollgate_session=${session.secret}` });
    const byToken = await openStream("/api/v1/live", { authorization: `Bearer ${token.token}` });
    const bystander = await openStream("/api/v1/live", { authorization: `Bearer ${ENG}` });
    try {
      await Promise.all([bySession.saw("retry:"), byToken.saw("retry:"), bystander.saw("retry:")]);
      const disabling = Date.now();
      await closesAfter(bySession, () => updateUser(t.db, admin, { userId: user.id, roles: ["engineer"], disabled: true }));
      // Disabling keeps the token row: the stream closes because the token no longer resolves (possibly
      // already while the session's stream was closing).
      await closesAfter(byToken, async () => {}, disabling);
      await stillOpen(bystander, "live-after-disable");
    } finally {
      await bySession.close();
      await byToken.close();
      await bystander.close();
    }
  });

  it("revoking a user token closes the streams opened with it", async () => {
    const token = await createApiToken(t.db, admin, { kind: "user", name: "revoked-user-token", userId: admin.userId });
    const a = await openStream("/api/v1/live", { authorization: `Bearer ${token.token}` });
    try {
      await a.saw("retry:");
      const row = await t.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashSecret(token.token) } });
      await closesAfter(a, () => revokeApiToken(t.db, admin, row.id));
    } finally {
      await a.close();
    }
  });
});

describe("GET /api/v1/flags/{key}/metrics (remembers its callers for a few seconds)", () => {
  /** Polls until the endpoint refuses the credential; the time to live alone (10 s) would be too late. */
  async function refusedWithin(headers: Record<string, string>, key: string): Promise<void> {
    const deadline = Date.now() + CLOSES_WITHIN_MS;
    for (;;) {
      const res = await fetch(`${app.url}/api/v1/flags/${key}/metrics?environment=production`, { headers });
      await res.arrayBuffer();
      if (res.status === 401) return;
      expect(res.status).toBe(200);
      if (Date.now() > deadline) throw new Error(`still answered ${CLOSES_WITHIN_MS} ms after the credential ended`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("refuses a user token once its revocation is announced, and a session once signed out", async () => {
    const key = "metrics-revocation";
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key } })).status).toBe(201);
    const token = await createApiToken(t.db, admin, { kind: "user", name: "metrics-reader", userId: admin.userId });
    const byToken = { authorization: `Bearer ${token.token}` };
    expect((await fetch(`${app.url}/api/v1/flags/${key}/metrics?environment=production`, { headers: byToken })).status).toBe(200);
    const row = await t.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashSecret(token.token) } });
    await revokeApiToken(t.db, admin, row.id);
    await refusedWithin(byToken, key);

    const user = await newUser("metrics-reader@example.com", ["viewer"]);
    const session = await startSession(t.db, user, { via: "password" });
    const bySession = { cookie: `rollgate_session=${encodeURIComponent(session.secret)}` };
    expect((await fetch(`${app.url}/api/v1/flags/${key}/metrics?environment=production`, { headers: bySession })).status).toBe(200);
    await signOut(t.db, session.secret);
    await refusedWithin(bySession, key);
  });
});
