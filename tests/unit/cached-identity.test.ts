import { describe, expect, it } from "vitest";
import { CachedIdentity } from "../../lib/auth/cached-identity";
import type { IdentityProvider } from "../../lib/auth/identity";
import type { Principal, UserPrincipal } from "../../lib/auth/principal";

const alice: UserPrincipal = { kind: "user", userId: "u1", email: "a@x", name: "A", roles: ["viewer"], via: "token" };

/** A provider whose answers the test controls, counting lookups. */
function provider() {
  const tokens = new Map<string, Principal>();
  let lookups = 0;
  let gate: Promise<void> | null = null;
  const inner: IdentityProvider = {
    async fromSession() {
      lookups++;
      return null;
    },
    async fromApiToken(token) {
      lookups++;
      const answer = tokens.get(token) ?? null;
      if (gate) await gate;
      return answer;
    },
  };
  return {
    inner,
    tokens,
    get lookups() {
      return lookups;
    },
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe("cached identity", () => {
  it("remembers who a token belongs to until cleared, and never remembers a refusal", async () => {
    const p = provider();
    const identity = new CachedIdentity(p.inner, 60_000);
    expect(await identity.fromApiToken("t1")).toBeNull();
    p.tokens.set("t1", alice);
    expect(await identity.fromApiToken("t1")).toEqual(alice); // a new token works at once
    expect(await identity.fromApiToken("t1")).toEqual(alice);
    expect(p.lookups).toBe(2);
    p.tokens.delete("t1"); // revoked
    identity.clear(); // ... and announced
    expect(await identity.fromApiToken("t1")).toBeNull();
  });

  it("forgets after its time to live", async () => {
    const p = provider();
    p.tokens.set("t1", alice);
    const identity = new CachedIdentity(p.inner, 1);
    await identity.fromApiToken("t1");
    await new Promise((r) => setTimeout(r, 5));
    p.tokens.delete("t1");
    expect(await identity.fromApiToken("t1")).toBeNull();
  });

  it("does not remember a lookup that raced a clear", async () => {
    const p = provider();
    p.tokens.set("t1", alice);
    const identity = new CachedIdentity(p.inner, 60_000);
    const release = p.hold();
    const pending = identity.fromApiToken("t1"); // reads "alive"...
    p.tokens.delete("t1");
    identity.clear(); // ... the revocation lands meanwhile
    release();
    expect(await pending).toEqual(alice);
    expect(await identity.fromApiToken("t1")).toBeNull();
  });
});
