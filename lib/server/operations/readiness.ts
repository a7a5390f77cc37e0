import { unavailableSummary } from "../../db/availability";

export interface Readiness {
  ready: boolean;
  /** Each check's state: "ok", or why not, in one line. */
  checks: { database: string; configuration: string };
}

export interface ReadinessProbe {
  check(): Promise<Readiness>;
  /** The database as the last check found it: true, false, or null before the first. */
  readonly databaseUp: boolean | null;
}

/**
 * Whether this instance should get traffic: the database answers and the configuration is loaded and
 * kept current. Nothing else records whether the database is reachable right now (an outage is noted
 * per request, lib/db/availability.ts), so the probe asks it: `SELECT 1`, given `timeoutMs`, and the
 * answer is reused for `cacheMs` so that probes from many places cost one statement a second at most.
 * Concurrent probes share the statement in flight.
 */
export function readinessProbe(options: {
  pingDatabase: () => Promise<unknown>;
  /** null when the configuration is loaded and current, else why not. */
  configurationProblem: () => string | null;
  timeoutMs?: number;
  cacheMs?: number;
  now?: () => number;
}): ReadinessProbe {
  const timeoutMs = options.timeoutMs ?? 1000;
  const cacheMs = options.cacheMs ?? 1000;
  const now = options.now ?? Date.now;
  let database: { at: number; state: string } | null = null;
  let inFlight: Promise<string> | null = null;
  let databaseUp: boolean | null = null;

  const pingOnce = (): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`the database did not answer within ${timeoutMs} ms`), timeoutMs);
    });
    const ping = options.pingDatabase().then(
      () => "ok",
      (err: unknown) => `unreachable: ${unavailableSummary(err)}`,
    );
    return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
  };

  const databaseState = async (): Promise<string> => {
    if (database && now() - database.at < cacheMs) return database.state;
    inFlight ??= pingOnce().then((state) => {
      database = { at: now(), state };
      databaseUp = state === "ok";
      inFlight = null;
      return state;
    });
    return inFlight;
  };

  return {
    get databaseUp() {
      return databaseUp;
    },
    async check() {
      const databaseCheck = await databaseState();
      const configuration = options.configurationProblem() ?? "ok";
      return { ready: databaseCheck === "ok" && configuration === "ok", checks: { database: databaseCheck, configuration } };
    },
  };
}
