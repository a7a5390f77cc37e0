import pg from "pg";
import { sqlStateOf } from "./db-errors";

/**
 * A start-up failure the operator fixes in the configuration or the database: its message is one
 * line naming the cause and the fix, and it is logged without a stack (nothing in the code is wrong).
 */
export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

/** Which variable a URL came from, for messages that tell the operator what to edit. */
export type UrlVariable = "DATABASE_URL" | "DATABASE_MIGRATION_URL" | "DATABASE_POOLED_URL";

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET"]);

/** `user@host:port/database` of a URL, without its password. */
export function describeUrl(url: string): { user: string; host: string; port: string; database: string } {
  const u = new URL(url);
  return {
    user: decodeURIComponent(u.username) || "(none)",
    host: u.hostname || "localhost",
    port: u.port || "5432",
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || decodeURIComponent(u.username),
  };
}

/**
 * One line for a failed connection attempt: wrong password, unknown database, unreachable server or
 * a refused role, each with what to do. Null when the error is not about connecting.
 */
export function connectFailureLine(err: unknown, variable: UrlVariable, url: string): string | null {
  const { user, host, port, database } = describeUrl(url);
  const state = sqlStateOf(err);
  const message = firstLine(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (state === "28P01")
    return /^rollgate_app(\.|$)/.test(user)
      ? `${variable}: password authentication failed for user "${user}" on ${host}:${port}: npm start with DATABASE_MIGRATION_URL (the owner) gives rollgate_app the password in ${variable}; run it first, or put rollgate_app's password in ${variable}`
      : `${variable}: password authentication failed for user "${user}" on ${host}:${port}: put that role's password in ${variable}`;
  if (state === "3D000")
    return /^rollgate_app(\.|$)/.test(user)
      ? `${variable}: database "${database}" does not exist on ${host}:${port}: name the database DATABASE_MIGRATION_URL migrates`
      : `${variable}: database "${database}" does not exist on ${host}:${port}: create it (as a superuser or a role with CREATEDB): createdb -h ${host} -p ${port} -O ${user} ${database}`;
  if (state === "28000")
    return `${variable}: the server refused "${user}" (${message}): check the user name in ${variable}, that the role has LOGIN and that pg_hba.conf lets it in`;
  if (state === "53300")
    return `${variable}: ${host}:${port} has no connection left (${message}): raise max_connections or stop other clients`;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code))
    return `${variable}: cannot reach PostgreSQL at ${host}:${port} (${code}): check the host and port in ${variable} and that the server runs and accepts TCP connections`;
  if (/timeout|Connection terminated/i.test(message))
    return `${variable}: PostgreSQL at ${host}:${port} did not answer (${message}): check the host, port and firewall`;
  if (/SSL|TLS|certificate/i.test(message)) return `${variable}: TLS to ${host}:${port} failed (${message}): check sslmode in ${variable}`;
  return null;
}

/** Opens a connection, or throws a DeploymentError with the one line that says why it could not. */
export async function connectOrExplain(url: string, variable: UrlVariable): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // An error event after connect failed would otherwise be unhandled.
  client.on("error", () => {});
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw new DeploymentError(connectFailureLine(err, variable, url) ?? `${variable}: cannot connect (${firstLine(err)})`);
  }
}

export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (
    message
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? "unknown error"
  );
}
