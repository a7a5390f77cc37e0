import type { Db } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { displayPrefix, hashSecret } from "./secrets";
import { isRole, type Role } from "./roles";

export type BootstrapToken =
  { kind: "user"; name: string; roles: Role[]; token: string } | { kind: "sdk"; environment: string; token: string };

/**
 * Parses ROLLGATE_BOOTSTRAP_TOKENS: comma-separated `NAME:ROLES:TOKEN` (ROLES joined by '+') for user
 * tokens and `sdk:ENV:TOKEN` for SDK tokens. Throws with the offending entry on bad input.
 */
export function parseBootstrapTokens(spec: string): BootstrapToken[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const parts = entry.split(":");
      const [name, middle, token] = parts;
      if (parts.length !== 3 || !name || !middle || !token) {
        throw new Error(`ROLLGATE_BOOTSTRAP_TOKENS: '${entry.slice(0, 40)}' is not NAME:ROLES:TOKEN or sdk:ENV:TOKEN`);
      }
      if (token.length < 6) throw new Error(`ROLLGATE_BOOTSTRAP_TOKENS: the token for '${name}' is shorter than 6 characters`);
      if (name === "sdk") return { kind: "sdk", environment: middle, token };
      const roles = middle.split("+");
      const bad = roles.find((r) => !isRole(r));
      if (bad !== undefined) throw new Error(`ROLLGATE_BOOTSTRAP_TOKENS: unknown role '${bad}' for '${name}'`);
      return { kind: "user", name, roles: roles as Role[], token };
    });
}

// Start-up work on a cold client (Prisma's first queries) on a loaded machine took 5.5 s once in CI:
// longer than Prisma's 5 s default, and no request waits on it.
const START_UP_TRANSACTION = { maxWait: 30_000, timeout: 60_000 };

/** Creates missing users and tokens; running it again with the same spec changes nothing. */
export async function applyBootstrapTokens(db: Db, tokens: BootstrapToken[]): Promise<void> {
  for (const t of tokens) {
    await db.$transaction(async (tx) => {
      const tokenHash = hashSecret(t.token);
      if (await tx.apiToken.findUnique({ where: { tokenHash } })) return;
      const actor = { id: null, label: "bootstrap" };
      if (t.kind === "sdk") {
        const env = await tx.environment.findUnique({ where: { key: t.environment } });
        if (!env) throw new Error(`ROLLGATE_BOOTSTRAP_TOKENS: environment '${t.environment}' does not exist`);
        const row = await tx.apiToken.create({
          data: {
            name: `sdk-${t.environment}`,
            kind: "sdk",
            environmentKey: t.environment,
            tokenHash,
            tokenPrefix: displayPrefix(t.token),
          },
        });
        await recordAudit(tx, {
          actor,
          action: "api_token.create",
          target: { type: "api_token", id: row.id },
          after: { kind: "sdk", environment: t.environment },
        });
        return;
      }
      const email = `${t.name.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}@bootstrap.rollgate.local`;
      const user = await tx.user.upsert({
        where: { email },
        create: { email, name: t.name, roles: t.roles, isService: true },
        update: {},
      });
      const row = await tx.apiToken.create({
        data: { name: t.name, kind: "user", userId: user.id, tokenHash, tokenPrefix: displayPrefix(t.token) },
      });
      await recordAudit(tx, {
        actor,
        action: "api_token.create",
        target: { type: "api_token", id: row.id },
        after: { kind: "user", user: email, roles: user.roles },
      });
    }, START_UP_TRANSACTION);
  }
}
