import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { applyBootstrapTokens, parseBootstrapTokens } from "../../lib/auth/bootstrap-tokens";
import { postgresIdentity, resolvePrincipal } from "../../lib/auth/identity";
import { SIGN_IN_REFUSED, signIn, signInAttemptKey, signOut, SESSION_TTL_MS, startSession } from "../../lib/auth/sessions";
import { hashSecret } from "../../lib/auth/secrets";
import { hashPassword } from "../../lib/auth/password";
import { changePassword, changePasswordSchema } from "../../lib/users/change-password";
import { DEMO_USERS, seedDemo } from "../../lib/demo/seed-demo";

const t = setUpTestDatabase();
beforeAll(async () => {
  expect(await seedDemo(t.db, "demo-password")).toBe(true);
});

describe("demo seed", () => {
  it("creates one user per role, flags with states, and runs only once", async () => {
    const roles = new Set((await t.db.user.findMany()).flatMap((u) => u.roles));
    expect([...roles].sort()).toEqual(["admin", "engineer", "oncall", "product_owner", "viewer"]);
    const prod = await t.db.flagState.findFirst({ where: { flag: { key: "messaging-v2" }, environmentKey: "production" } });
    expect(prod).toMatchObject({ enabled: true, rolloutPercent: 10 });
    expect(await seedDemo(t.db, "demo-password")).toBe(false);
    expect(await t.db.user.count()).toBe(DEMO_USERS.length);
  });
});

describe("sessions", () => {
  it("sign in with the right password gives a session that resolves to the user; sign out ends it", async () => {
    const session = await signIn(t.db, { email: "  Engineer@Rollgate.dev ", password: "demo-password" });
    const row = await t.db.session.findUnique({ where: { tokenHash: hashSecret(session.secret) } });
    const engineer = await t.db.user.findUniqueOrThrow({ where: { email: "engineer@rollgate.dev" } });
    expect(row).toMatchObject({ userId: engineer.id });
    expect(await t.db.session.count({ where: { tokenHash: session.secret } })).toBe(0); // never stored in clear

    const identity = postgresIdentity(t.db);
    const principal = await resolvePrincipal(identity, new Headers({ cookie: `rollgate_session=${session.secret}` }));
    expect(principal).toMatchObject({ kind: "user", email: "engineer@rollgate.dev", roles: ["engineer"], via: "session" });

    await signOut(t.db, session.secret);
    expect(await identity.fromSession(session.secret)).toBeNull();
  });

  it("rejects a wrong password or unknown email with the same message", async () => {
    await expect(signIn(t.db, { email: "engineer@rollgate.dev", password: "nope" })).rejects.toThrow("Email or password is incorrect");
    await expect(signIn(t.db, { email: "ghost@rollgate.dev", password: "nope" })).rejects.toThrow("Email or password is incorrect");
  });

  it("a session in use slides forward; one past its 7-day limit ends", async () => {
    const session = await signIn(t.db, { email: "po@rollgate.dev", password: "demo-password" });
    const tokenHash = hashSecret(session.secret);
    const soon = new Date(Date.now() + 60 * 60 * 1000);
    await t.db.session.update({ where: { tokenHash }, data: { expiresAt: soon } });
    expect(await postgresIdentity(t.db).fromSession(session.secret)).toMatchObject({ email: "po@rollgate.dev", via: "session" });
    const renewed = await t.db.session.findUniqueOrThrow({ where: { tokenHash } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(soon.getTime() + 60 * 60 * 1000);

    await t.db.session.update({ where: { tokenHash }, data: { createdAt: new Date(Date.now() - 8 * 24 * 3600 * 1000) } });
    expect(await postgresIdentity(t.db).fromSession(session.secret)).toBeNull();
  });

  it("expired sessions and disabled users do not resolve", async () => {
    const past = new Date(Date.now() - SESSION_TTL_MS - 1000);
    const expired = await signIn(t.db, { email: "viewer@rollgate.dev", password: "demo-password" }, past);
    expect(await postgresIdentity(t.db).fromSession(expired.secret)).toBeNull();

    const live = await signIn(t.db, { email: "oncall@rollgate.dev", password: "demo-password" });
    await t.db.user.update({ where: { email: "oncall@rollgate.dev" }, data: { disabledAt: new Date() } });
    expect(await postgresIdentity(t.db).fromSession(live.secret)).toBeNull();
  });
});

describe("changing your own password", () => {
  it("needs the current password, keeps this session, ends the others, and audits", async () => {
    const email = "viewer@rollgate.dev";
    const mine = await signIn(t.db, { email, password: "demo-password" });
    const other = await signIn(t.db, { email, password: "demo-password" });
    const identity = postgresIdentity(t.db);
    const me = (await identity.fromSession(mine.secret))!;

    await expect(
      changePassword(t.db, me, { currentPassword: "wrong", newPassword: "new-password-1", confirmPassword: "new-password-1" }, mine.secret),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED", details: { fields: { currentPassword: "not your current password" } } });
    expect(await identity.fromSession(other.secret)).toMatchObject({ email, via: "session" });

    await changePassword(
      t.db,
      me,
      { currentPassword: "demo-password", newPassword: "new-password-1", confirmPassword: "new-password-1" },
      mine.secret,
    );
    expect(await identity.fromSession(mine.secret)).toMatchObject({ email, via: "session" });
    expect(await identity.fromSession(other.secret)).toBeNull();
    await expect(signIn(t.db, { email, password: "demo-password" })).rejects.toThrow("Email or password is incorrect");
    await signIn(t.db, { email, password: "new-password-1" });
    expect(await t.db.auditLog.count({ where: { action: "user.password_change", targetId: email } })).toBe(1);
  });

  it("a sign-in whose password check read the old hash gets no session once the change committed", async () => {
    const email = "racing-sign-in@rollgate.dev";
    await t.db.user.create({ data: { email, name: "Racing", passwordHash: await hashPassword("demo-password") } });
    const before = (await t.db.user.findUniqueOrThrow({ where: { email } })).passwordHash!;
    const me = (await postgresIdentity(t.db).fromSession((await signIn(t.db, { email, password: "demo-password" })).secret))!;
    await changePassword(t.db, me, { currentPassword: "demo-password", newPassword: "racing-new-1", confirmPassword: "racing-new-1" });
    // As a sign-in that checked the old password just before the change committed, and opens its session now.
    const user = await t.db.user.findUniqueOrThrow({ where: { email } });
    await expect(startSession(t.db, user, { via: "password", passwordHash: before })).rejects.toThrow(SIGN_IN_REFUSED);
    expect(await t.db.session.count({ where: { userId: user.id } })).toBe(0);
    // The same with the hash it really is: a session.
    await startSession(t.db, user, { via: "password", passwordHash: user.passwordHash! });
    expect(await t.db.session.count({ where: { userId: user.id } })).toBe(1);
  });

  it("wrong current passwords count like sign-ins: after five, even the right one is refused for a while", async () => {
    const email = "guessing-change@rollgate.dev";
    await t.db.user.create({ data: { email, name: "Guessing", passwordHash: await hashPassword("demo-password") } });
    const now = new Date();
    const me = (await postgresIdentity(t.db).fromSession((await signIn(t.db, { email, password: "demo-password" }, now)).secret))!;
    const change = (currentPassword: string) =>
      changePassword(t.db, me, { currentPassword, newPassword: "engineer-new-1", confirmPassword: "engineer-new-1" }, undefined, now);
    for (let i = 0; i < 5; i++) {
      await expect(change(`guess-${i}`)).rejects.toMatchObject({ details: { fields: { currentPassword: "not your current password" } } });
    }
    await expect(change("demo-password")).rejects.toMatchObject({
      details: { fields: { currentPassword: "too many wrong attempts; try again in a few minutes" } },
    });
    await expect(signIn(t.db, { email, password: "demo-password" }, now)).rejects.toThrow(SIGN_IN_REFUSED);
    expect(await t.db.auditLog.count({ where: { action: "user.sign_in_locked", targetId: email } })).toBe(1);
    // Once the lock has passed, the right password changes it and clears the count.
    await changePassword(
      t.db,
      me,
      { currentPassword: "demo-password", newPassword: "engineer-new-1", confirmPassword: "engineer-new-1" },
      undefined,
      new Date(now.getTime() + 31_000),
    );
    await signIn(t.db, { email, password: "engineer-new-1" });
  });

  it("validates the new password", () => {
    const bad = (v: object) => changePasswordSchema.safeParse(v).error?.issues.map((i) => i.path.join("."));
    expect(bad({ currentPassword: "a", newPassword: "short", confirmPassword: "short" })).toEqual(["newPassword"]);
    expect(bad({ currentPassword: "a", newPassword: "long-enough", confirmPassword: "other-one" })).toEqual(["confirmPassword"]);
    expect(bad({ currentPassword: "same-password", newPassword: "same-password", confirmPassword: "same-password" })).toEqual([
      "newPassword",
    ]);
  });
});

describe("sign-in throttling", () => {
  const attempts = async (email: string) =>
    (await t.sql(`SELECT failures, locked_until FROM sign_in_attempts WHERE email_hash = $1`, [signInAttemptKey(email)])).rows[0] as
      { failures: number; locked_until: Date | null } | undefined;

  it("locks an account after 5 consecutive failures, audits it, and resets after a success", async () => {
    const email = "po@rollgate.dev";
    const now = new Date();
    for (let i = 0; i < 5; i++) {
      await expect(signIn(t.db, { email, password: "guess" }, now)).rejects.toThrow(SIGN_IN_REFUSED);
    }
    // The 5th failure set a 30 s lock: even the right password is refused now, with the same answer.
    await expect(signIn(t.db, { email, password: "demo-password" }, now)).rejects.toThrow(SIGN_IN_REFUSED);
    expect(await t.db.auditLog.count({ where: { action: "user.sign_in_locked", targetId: email } })).toBe(1);
    expect((await attempts(email))?.failures).toBe(5); // refused while locked: not even counted

    const later = new Date(now.getTime() + 31_000);
    await signIn(t.db, { email, password: "demo-password" }, later);
    expect(await attempts(email)).toBeUndefined();
  });

  it("concurrent wrong guesses each count", async () => {
    const email = "admin@rollgate.dev";
    await Promise.allSettled(Array.from({ length: 4 }, () => signIn(t.db, { email, password: "guess" })));
    expect((await attempts(email))?.failures).toBe(4);
  });

  it("unknown emails are counted and locked the same way, without creating a user", async () => {
    const email = "nobody-here@rollgate.dev";
    const users = await t.db.user.count();
    for (let i = 0; i < 6; i++) await expect(signIn(t.db, { email, password: "guess" })).rejects.toThrow(SIGN_IN_REFUSED);
    expect(await attempts(email)).toMatchObject({ failures: 5, locked_until: expect.any(Date) });
    expect(await t.db.user.count()).toBe(users);
    // Only a hash of the email is kept.
    expect((await t.sql(`SELECT count(*)::int AS n FROM sign_in_attempts WHERE email_hash LIKE '%@%'`)).rows[0].n).toBe(0);
  });
});

describe("bootstrap tokens", () => {
  it("creates users and tokens once, hashed; applying again changes nothing", async () => {
    const spec = parseBootstrapTokens("ci-bot:engineer+viewer:abc123def,sdk:production:xyz789xyz");
    await applyBootstrapTokens(t.db, spec);
    const snapshot = async () => ({
      users: await t.db.user.count(),
      tokens: await t.db.apiToken.count(),
      audit: await t.db.auditLog.count(),
    });
    const first = await snapshot();
    await applyBootstrapTokens(t.db, spec);
    expect(await snapshot()).toEqual(first);

    const identity = postgresIdentity(t.db);
    expect(await identity.fromApiToken("abc123def")).toMatchObject({
      kind: "user",
      name: "ci-bot",
      roles: ["engineer", "viewer"],
      via: "token",
    });
    expect(await identity.fromApiToken("xyz789xyz")).toMatchObject({ kind: "sdk", environment: "production" });
    expect(await identity.fromApiToken("abc123de")).toBeNull();
    expect(await t.db.apiToken.count({ where: { tokenHash: "abc123def" } })).toBe(0);

    // A token acts as its user: once the user is disabled, it resolves to no one; revoked, likewise.
    await t.db.user.update({ where: { email: "ci-bot@bootstrap.rollgate.local" }, data: { disabledAt: new Date() } });
    expect(await identity.fromApiToken("abc123def")).toBeNull();
    await t.db.user.update({ where: { email: "ci-bot@bootstrap.rollgate.local" }, data: { disabledAt: null } });
    expect(await identity.fromApiToken("abc123def")).toMatchObject({ kind: "user", name: "ci-bot" });
    await t.db.apiToken.updateMany({ where: { tokenHash: hashSecret("xyz789xyz") }, data: { revokedAt: new Date() } });
    expect(await identity.fromApiToken("xyz789xyz")).toBeNull();
  });

  it("an unknown environment in an SDK token fails and creates nothing", async () => {
    const before = await t.db.apiToken.count();
    await expect(applyBootstrapTokens(t.db, parseBootstrapTokens("sdk:qa:qa-token-123"))).rejects.toThrow(
      /environment 'qa' does not exist/,
    );
    expect(await t.db.apiToken.count()).toBe(before);
  });
});
