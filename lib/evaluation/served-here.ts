/**
 * Read-your-writes on one instance. A management write (a flag created, its state patched, a kill, a
 * rollout advanced) commits in PostgreSQL; the data plane (OFREP, the Unleash client API, SDK streams)
 * serves from this instance's in-memory configuration, which learns of the change from the commit's
 * NOTIFY a moment later. Answered before that, a flag created through the API could get a 404 from
 * OFREP on the same instance right after the 201 (a loaded machine stretches the moment), and a
 * revoked SDK token still worked there for that moment. The server that holds the configuration
 * registers how to wait for it (ConfigStore.caughtUp); route handlers and the dashboard's kill,
 * restore and revoke actions, bundled separately by Next.js, reach it through globalThis. So do the
 * actions that end someone's credentials (signing out, disabling a user or changing their roles, a
 * password change ending the other sessions): the metrics endpoint remembers who a session belongs to
 * and forgets on the commit's NOTIFY, so they answer once this instance refuses what they ended.
 */
const KEY = Symbol.for("rollgate.servedHere");
const holder = globalThis as unknown as { [KEY]?: () => Promise<unknown> };

/** Registered by the server (scripts/start.ts): resolves once this instance serves what is committed. */
export function registerServedHere(untilServed: () => Promise<unknown>): () => void {
  holder[KEY] = untilServed;
  return () => {
    if (holder[KEY] === untilServed) delete holder[KEY];
  };
}

/** Waits until this instance serves every configuration change committed so far (bounded by the registrant). */
export async function untilServedHere(): Promise<void> {
  await holder[KEY]?.();
}
