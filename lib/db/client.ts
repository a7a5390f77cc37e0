import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;
/** The client handed to code running inside `db.$transaction(async (tx) => …)`. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export function createDb(url: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? 20 });
  return new PrismaClient({ adapter });
}

const globalForDb = globalThis as unknown as { __rollgateDb?: { url: string; db: Db } };

/**
 * One client per process. The custom server and Next's bundled route handlers load separate copies
 * of this module, so the instance lives on globalThis to share one connection pool.
 */
export function getDb(): Db {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: start Rollgate with `npm start`, which provides one");
  const cached = globalForDb.__rollgateDb;
  if (cached && cached.url === url) return cached.db;
  const db = createDb(url);
  globalForDb.__rollgateDb = { url, db };
  return db;
}

/** Makes `db` the process-wide client that `getDb()` returns (the server shares its pool with Next). */
export function shareDb(url: string, db: Db): void {
  globalForDb.__rollgateDb = { url, db };
}
