import pg from "pg";
import { APP_ROLE } from "./app-role";
import { connectFailureLine, connectOrExplain, DeploymentError, describeUrl, firstLine, type UrlVariable } from "./connection-failure";
import { sqlStateOf } from "./db-errors";
import { scramVerifier } from "./scram-verifier";

/**
 * One pass on an operator's own PostgreSQL (DATABASE_URL, and DATABASE_MIGRATION_URL for the owner):
 * before migrating, check that the owner connects and may do what start-up asks of it; after
 * migrating, give `rollgate_app` a login with the password in DATABASE_URL and the grants. Every
 * failure is a DeploymentError whose one line names the cause and the fix.
 */
export interface ExternalUrls {
  /** DATABASE_URL: what the app connects as. */
  appUrl: string;
  /** DATABASE_MIGRATION_URL, or DATABASE_URL when it is unset. */
  ownerUrl: string;
}

export interface OwnerCheck {
  /** The owner's role name (current_user on DATABASE_MIGRATION_URL). */
  owner: string;
  /** Start-up creates or updates rollgate_app: DATABASE_URL names it and the owner is another role. */
  managesAppRole: boolean;
}

const split = (urls: ExternalUrls) => urls.ownerUrl !== urls.appUrl;
const ownerVariable = (urls: ExternalUrls): UrlVariable => (split(urls) ? "DATABASE_MIGRATION_URL" : "DATABASE_URL");

/**
 * The role a URL's user name stands for: Supabase's poolers take `<role>.<project ref>` (a project
 * ref is 20 lowercase letters and digits).
 */
export function roleOfUser(user: string): string {
  return user.replace(/\.[a-z0-9]{20}$/, "");
}

const noCreateRole = (owner: string, statement: string) =>
  new DeploymentError(
    `${owner} (DATABASE_MIGRATION_URL) may not create or change roles: grant CREATEROLE to ${owner} (as a superuser: ALTER ROLE ${quoteIdent(owner)} CREATEROLE) or create ${APP_ROLE} yourself: ${statement} PASSWORD '<the password in DATABASE_URL>'`,
  );

/** Before migrating, as the owner. */
export async function checkOwner(urls: ExternalUrls): Promise<OwnerCheck> {
  const client = await connectOrExplain(urls.ownerUrl, ownerVariable(urls));
  try {
    const { rows } = await client.query<{ owner: string; superuser: boolean; createrole: boolean; app_exists: boolean }>(
      `SELECT current_user::text AS owner, r.rolsuper AS superuser, r.rolcreaterole AS createrole,
              EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS app_exists
         FROM pg_roles r WHERE r.rolname = current_user`,
      [APP_ROLE],
    );
    const me = rows[0]!;
    if (me.owner === APP_ROLE) {
      throw new DeploymentError(
        split(urls)
          ? `DATABASE_MIGRATION_URL connects as ${APP_ROLE}, which may not migrate: set it to the owner of Rollgate's tables (README, Database roles)`
          : `DATABASE_URL connects as ${APP_ROLE}, which may not migrate: set DATABASE_MIGRATION_URL to the owner of Rollgate's tables as well (README, Database roles)`,
      );
    }
    const appUser = roleOfUser(describeUrl(urls.appUrl).user);
    const managesAppRole = split(urls) && appUser === APP_ROLE;
    // Refused now rather than after the migrations, so nothing is left half done.
    if (managesAppRole && !me.app_exists && !me.superuser && !me.createrole) throw noCreateRole(me.owner, `CREATE ROLE ${APP_ROLE} LOGIN`);
    return { owner: me.owner, managesAppRole };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * After migrating, as the owner: `rollgate_app` logs in with DATABASE_URL's password (created,
 * or its password set, only when that does not work yet) and has its grants (rollgate_lock_down(),
 * for a role created after the migrations that would have granted it). Returns what it did.
 */
export async function ensureAppRoleLogin(urls: ExternalUrls, owner: string): Promise<"ready" | "created" | "password set"> {
  const password = decodeURIComponent(new URL(urls.appUrl).password);
  if (!password) throw new DeploymentError(`DATABASE_URL has no password: add ${APP_ROLE}'s (a long random secret; start-up sets it)`);
  const client = await connectOrExplain(urls.ownerUrl, "DATABASE_MIGRATION_URL");
  try {
    const { rows } = await client.query<{ login: boolean }>("SELECT rolcanlogin AS login FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
    const role = rows[0];
    let done: "ready" | "created" | "password set" = "ready";
    const verifier = client.escapeLiteral(scramVerifier(password));
    if (!role) {
      await client
        .query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD ${verifier} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS`)
        .catch((err: unknown) => {
          throw sqlStateOf(err) === "42501" ? noCreateRole(owner, `CREATE ROLE ${APP_ROLE} LOGIN`) : err;
        });
      done = "created";
    } else if (!role.login || !(await signsIn(urls.appUrl))) {
      await client.query(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD ${verifier}`).catch(async (err: unknown) => {
        if (sqlStateOf(err) !== "42501") throw err;
        // Managed by someone else (created by a superuser, say): fine as long as DATABASE_URL signs in.
        if (role.login)
          throw new DeploymentError(
            `DATABASE_URL: password authentication failed for ${APP_ROLE}, and ${owner} may not change its password (that takes CREATEROLE and ADMIN OPTION on ${APP_ROLE}): put ${APP_ROLE}'s password in DATABASE_URL, or as a superuser: ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '<the password in DATABASE_URL>'`,
          );
        throw noCreateRole(owner, `ALTER ROLE ${APP_ROLE} LOGIN`);
      });
      done = "password set";
    }
    await client.query("SELECT rollgate_lock_down()");
    return done;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether DATABASE_URL signs in; false when the server refuses the credentials, a DeploymentError otherwise. */
async function signsIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return true;
  } catch (err) {
    const state = sqlStateOf(err);
    if (state === "28P01" || state === "28000") return false;
    throw new DeploymentError(connectFailureLine(err, "DATABASE_URL", url) ?? `DATABASE_URL: cannot connect (${firstLine(err)})`);
  } finally {
    await client.end().catch(() => {});
  }
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
