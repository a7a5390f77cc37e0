// First: how V8 compiles the query compiler, before the generated client loads it.
import "./wasm-baseline";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "./generated/client";
import { createBoundedPool, INTERACTIVE_LIMITS, type DatabaseLimits } from "./bounded-pool";

export type Db = PrismaClient;
/** The client handed to code running inside `db.$transaction(async (tx) => …)`. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface DbOptions {
  max?: number;
  /** How long to wait for the database (lib/db/bounded-pool.ts); a request's bounds by default. */
  limits?: DatabaseLimits;
  /** false when `url` is a transaction pooler: no server-side settings at connect (see BoundedOptions). */
  serverSettings?: boolean;
}

export function createDb(url: string, options: DbOptions = {}): Db {
  const pool = createBoundedPool(url, {
    max: options.max ?? 20,
    limits: options.limits ?? INTERACTIVE_LIMITS,
    serverSettings: options.serverSettings,
  });
  // The pool is ours (bounded clients), so $disconnect must end it.
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Db, pg.Pool>();

/** The connections behind `db` (for the pool gauges at /metrics); undefined for a client made elsewhere. */
export function poolStats(db: Db): { total: number; idle: number; waiting: number; max: number } | undefined {
  const pool = pools.get(db);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
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
