import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** The least-privileged role the app runs as (created by migration 20261124000300_app_role). */
export const APP_ROLE = "rollgate_app";

/**
 * For the embedded database: lets `rollgate_app` log in with a password generated once and kept in
 * `<dataDir>/app-role-password` (mode 600), and returns the URL to connect as it. Runs after the
 * migrations, as the owner. Returns null when the role does not exist (a server where the migration
 * could not create it), and the app then stays on the owner's URL.
 */
export async function prepareAppRole(ownerUrl: string, dataDir: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
    if (exists.rowCount === 0) return null;
    const password = await storedPassword(path.join(dataDir, "app-role-password"));
    // Set on every start, so a lost or replaced file is simply taken over.
    await client.query(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    return appRoleUrl(ownerUrl, password);
  } finally {
    await client.end();
  }
}

/** `url` with the app role's name and password instead of the owner's. */
export function appRoleUrl(url: string, password: string): string {
  const u = new URL(url);
  u.username = APP_ROLE;
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function storedPassword(file: string): Promise<string> {
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const password = randomBytes(32).toString("base64url");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}
