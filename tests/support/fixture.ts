// The one setup every integration test file shares: a database cloned from the migrated template
// and, when asked, real server processes on it, started before the file's tests and stopped after.
//
//   const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
//   it("…", async () => { await call(app.url, …); await t.sql(…); });
//
// `t` and `app` are handles that stand for the real objects once `beforeAll` has run, so test code
// reads them like plain variables; touching one before that throws instead of reading `undefined`.
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from "./test-database";
import { startTestApp, type TestApp } from "./test-app";
import { canShare, leaseServer, type Lease } from "./server-pool";

/** A stand-in for a value that exists once the file's `beforeAll` has run. */
function late<T extends object>(what: string): { handle: T; set(value: T | undefined): void } {
  let target: T | undefined;
  const handle = new Proxy({} as T, {
    get(_, key) {
      if (!target) throw new Error(`${what} is not ready: use it inside a test or a hook registered after setUpTestApp()`);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_, key) => target !== undefined && Reflect.has(target, key),
  });
  return { handle, set: (value) => (target = value) };
}

export type { TestDatabaseOptions } from "./test-database";
export { DEMO_TEST_PASSWORD } from "./test-database";

/** A database of this file's own (no server): for tests of services and SQL. */
export function setUpTestDatabase(options: TestDatabaseOptions = {}): TestDatabase {
  const t = late<TestDatabase>("the test database");
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(options);
    t.set(database);
  });
  afterAll(async () => {
    await database?.drop();
    t.set(undefined);
  });
  return t.handle;
}

/** What one server process gets: the file's shared settings, or one instance's own. */
export interface TestServerOptions {
  /** ROLLGATE_BOOTSTRAP_TOKENS. */
  bootstrapTokens?: string;
  /** Extra environment (worker intervals, limits); a function when it depends on the database. */
  env?: Record<string, string> | ((t: TestDatabase) => Record<string, string>);
  /** The URL the server is given (as the owner); the database's own by default. */
  databaseUrl?: (t: TestDatabase) => string;
}

export interface TestAppOptions<I extends Instances = Instances> extends TestDatabaseOptions, TestServerOptions {
  /**
   * How many server processes share the database (multi-instance tests), 1 by default; or one entry
   * per instance with settings of its own, which override the shared ones.
   */
  instances?: I;
  /** Runs on the database before any server starts (rows a server must find at start-up). */
  beforeStart?: (t: TestDatabase) => Promise<unknown>;
  /**
   * A server process of the file's own, started for it. Without it the first (or only) server, when
   * its settings are ones a warm server takes (tests/support/server-pool.ts), is the worker's warm one,
   * moved to this file's database: for tests of the process itself (what it prints while starting, its
   * signals, /metrics counters from zero), say `fresh: true`.
   */
  fresh?: boolean;
}

type Instances = 1 | 2 | 3 | readonly TestServerOptions[];
/** One handle per instance, typed as a tuple so `const { apps: [a, b] } = …` needs no checks. */
type AppsFor<I extends Instances> = I extends readonly unknown[]
  ? { -readonly [K in keyof I]: TestApp }
  : I extends 3
    ? [TestApp, TestApp, TestApp]
    : I extends 2
      ? [TestApp, TestApp]
      : [TestApp];

export interface TestAppContext<I extends Instances> {
  /** The file's database. */
  t: TestDatabase;
  /** The first (or only) server. */
  app: TestApp;
  /** Every server, in start order: `const { apps: [a, b] } = setUpTestApp({ instances: 2 })`. */
  apps: AppsFor<I>;
}

/** A database of this file's own and real server processes on it (one unless `instances` says more). */
export function setUpTestApp<const I extends Instances = 1>(options: TestAppOptions<I> = {}): TestAppContext<I> {
  const t = setUpTestDatabase(options);
  const instances: readonly TestServerOptions[] =
    typeof options.instances === "object" ? options.instances : Array.from({ length: options.instances ?? 1 }, () => ({}));
  const handles = instances.map((_, i) => late<TestApp>(`test server ${i + 1} of ${instances.length}`));
  const all: TestApp[] = [];
  const settingsOf = (i: number) => ({ ...options, ...instances[i] });
  // The first instance is the worker's warm server when its settings allow; the others (multi-instance
  // tests) are started for the file either way.
  let lease: Lease | undefined;
  beforeAll(async () => {
    await options.beforeStart?.(t);
    const started = await Promise.allSettled(
      instances.map(async (_, i) => {
        const settings = settingsOf(i);
        const databaseUrl = settings.databaseUrl ? settings.databaseUrl(t) : t.url;
        const env = typeof settings.env === "function" ? settings.env(t) : settings.env;
        if (i === 0 && !options.fresh && canShare(env)) {
          lease = await leaseServer({ databaseUrl, bootstrapTokens: settings.bootstrapTokens, env });
          return lease.app;
        }
        const app = await startTestApp({ databaseUrl, bootstrapTokens: settings.bootstrapTokens, env });
        all.push(app);
        return app;
      }),
    );
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    started.forEach((result, i) => handles[i]!.set((result as PromiseFulfilledResult<TestApp>).value));
  });
  // Registered after the database's afterAll, so it runs first (vitest runs afterAll hooks in reverse).
  afterAll(async () => {
    await lease?.release();
    lease = undefined;
    await Promise.all(all.map((a) => a.stop()));
    all.length = 0;
    for (const handle of handles) handle.set(undefined);
  });
  return { t, app: handles[0]!.handle, apps: handles.map((h) => h.handle) as AppsFor<I> };
}
