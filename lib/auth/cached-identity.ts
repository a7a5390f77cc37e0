import type { IdentityProvider } from "./identity";
import type { Principal, UserPrincipal } from "./principal";

const MAX_ENTRIES = 10_000;

/**
 * An identity provider that remembers who a session or API token belongs to for a few seconds, for
 * read-only routes a dashboard polls (the metrics endpoint), where two database reads per request
 * would be most of its cost. Whatever ends a credential (sign-out, revocation, a user disabled or
 * re-roled) announces itself by NOTIFY, and the owner calls `clear()` on it; `ttlMs` bounds what a
 * lost notification can cost, and only answers that found someone are kept, so a new token works
 * at once. Not for routes that write: their audit entries name the actor as the database has them now.
 */
export class CachedIdentity implements IdentityProvider {
  private entries = new Map<string, { principal: Principal; until: number }>();
  private generation = 0;

  constructor(
    private readonly inner: IdentityProvider,
    private readonly ttlMs = 10_000,
  ) {}

  fromSession(secret: string): Promise<UserPrincipal | null> {
    return this.lookup(`s:${secret}`, () => this.inner.fromSession(secret)) as Promise<UserPrincipal | null>;
  }

  fromApiToken(token: string): Promise<Principal | null> {
    return this.lookup(`t:${token}`, () => this.inner.fromApiToken(token));
  }

  /** Forgets everyone: some credential may have ended. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private async lookup(key: string, load: () => Promise<Principal | null>): Promise<Principal | null> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.principal;
    const generation = this.generation;
    const principal = await load();
    // A credential that ended while it was being looked up is not remembered as alive.
    if (principal && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { principal, until: now + this.ttlMs });
    }
    return principal;
  }
}
