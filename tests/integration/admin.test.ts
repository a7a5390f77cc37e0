import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import type { UserPrincipal } from "../../lib/auth/principal";
import { ROLES, type Role } from "../../lib/auth/roles";
import { postgresIdentity } from "../../lib/auth/identity";
import { createUser } from "../../lib/users/create-user";
import { listUsers } from "../../lib/users/list-users";
import { updateUser } from "../../lib/users/update-user";
import { createApiToken } from "../../lib/tokens/create-api-token";
import { listApiTokens } from "../../lib/tokens/list-api-tokens";
import { revokeApiToken } from "../../lib/tokens/revoke-api-token";
import { createEnvironment, createEnvironmentSchema } from "../../lib/environments/create-environment";
import { loadSnapshot } from "../../lib/evaluation/load-snapshot";

let admin: UserPrincipal;
const as = (roles: Role[], id = admin.userId): UserPrincipal => ({
  kind: "user",
  userId: id,
  email: "x@y.z",
  name: "x",
  roles,
  via: "session",
});

const t = setUpTestDatabase();
beforeAll(async () => {
  const row = await t.db.user.create({ data: { email: "root@example.com", name: "Root", roles: ["admin"] } });
  admin = as(["admin"], row.id);
});

describe("user and token administration", () => {
  it("only admins may list, create or change users and tokens", async () => {
    for (const role of ROLES.filter((r) => r !== "admin")) {
      const p = as([role]);
      await expect(listUsers(t.db, p)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        createUser(t.db, p, { email: `${role}@x.io`, name: role, roles: ["viewer"], password: "password1" }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(updateUser(t.db, p, { userId: admin.userId, roles: ["viewer"], disabled: false })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(createApiToken(t.db, p, { kind: "sdk", name: "s", environment: "staging" })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(listApiTokens(t.db, p)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(listUsers(t.db, null)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await t.db.user.count()).toBe(1);
    expect(await t.db.apiToken.count()).toBe(0);
  });

  it("creates a user once (duplicate email → conflict) and audits it", async () => {
    const user = await createUser(t.db, admin, { email: "new@x.io", name: "New", roles: ["engineer", "oncall"], password: "password1" });
    expect(user).toMatchObject({ email: "new@x.io", roles: ["engineer", "oncall"], disabled: false });
    await expect(
      createUser(t.db, admin, { email: "new@x.io", name: "Again", roles: ["viewer"], password: "password1" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const audit = await t.db.auditLog.findMany({ where: { action: "user.create" } });
    expect(audit).toHaveLength(1);
  });

  it("never removes the last active admin, even under concurrent demotions", async () => {
    const second = await createUser(t.db, admin, { email: "admin2@x.io", name: "Second", roles: ["admin"], password: "password1" });
    const results = await Promise.allSettled([
      updateUser(t.db, admin, { userId: admin.userId, roles: ["viewer"], disabled: false }),
      updateUser(t.db, admin, { userId: second.id, roles: ["viewer"], disabled: false }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: "UNPROCESSABLE" });
    expect(await t.db.user.count({ where: { roles: { has: "admin" }, disabledAt: null } })).toBe(1);
  });

  it("tokens authenticate once created, are stored hashed, and stop working when revoked", async () => {
    const sdk = await createApiToken(t.db, admin, { kind: "sdk", name: "checkout-service", environment: "production" });
    expect(sdk.token).toMatch(/^rg_sdk_/);
    const identity = postgresIdentity(t.db);
    expect(await identity.fromApiToken(sdk.token)).toMatchObject({ kind: "sdk", environment: "production" });
    expect(JSON.stringify(await t.db.apiToken.findMany())).not.toContain(sdk.token);

    await expect(createApiToken(t.db, admin, { kind: "sdk", name: "x", environment: "nope" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });

    await revokeApiToken(t.db, admin, sdk.id);
    await revokeApiToken(t.db, admin, sdk.id); // idempotent
    expect(await identity.fromApiToken(sdk.token)).toBeNull();
    expect(await t.db.auditLog.count({ where: { action: "api_token.revoke" } })).toBe(1);
    expect((await listApiTokens(t.db, admin)).find((x) => x.id === sdk.id)).toMatchObject({
      revoked: true,
      owner: "environment production",
    });
  });

  it("admins add environments; every existing flag gets a disabled state there and the snapshot loads", async () => {
    const flag = await t.db.flag.create({ data: { key: "pre-existing" } });
    await expect(createEnvironment(t.db, as(["engineer"]), { key: "canary", name: "Canary" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await createEnvironment(t.db, admin, { key: "canary", name: "Canary" });
    await expect(createEnvironment(t.db, admin, { key: "canary", name: "Again" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(
      await t.db.flagState.findUnique({ where: { flagId_environmentKey: { flagId: flag.id, environmentKey: "canary" } } }),
    ).toMatchObject({
      enabled: false,
      rolloutPercent: 0,
      version: 1,
    });
    const snapshot = await loadSnapshot(t.db, "canary");
    expect(snapshot?.flags["pre-existing"]).toMatchObject({ enabled: false, killed: false });
    expect(await t.db.auditLog.count({ where: { action: "environment.create" } })).toBe(1);
    expect(createEnvironmentSchema.safeParse({ key: "Prod EU", name: "x" }).success).toBe(false);
  });

  it("an environment added while flags are being created gives every one of them a state there", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `racing-${i}`);
    await Promise.all([
      ...keys.slice(0, 15).map((key) => t.db.flag.create({ data: { key } })),
      createEnvironment(t.db, admin, { key: "race-env", name: "Race" }),
      ...keys.slice(15).map((key) => t.db.flag.create({ data: { key } })),
    ]);
    const { rows } = await t.sql(
      `SELECT f.key FROM flags f WHERE f.key LIKE 'racing-%'
          AND NOT EXISTS (SELECT 1 FROM flag_states s WHERE s.flag_id = f.id AND s.environment_key = 'race-env')`,
    );
    expect(rows).toEqual([]);
  });
});
