import { describe, expect, it } from "vitest";
import { checkTicket, issueTicket, TICKET_DAY_MS } from "../../lib/server/data-plane/event-stream-ticket";

const token = { id: "7f1c0a52-0000-4000-8000-000000000001", hash: "a".repeat(64), environment: "production" };
const lookup = (id: string) => (id === token.id ? token : undefined);
const noon = 20_000 * TICKET_DAY_MS + TICKET_DAY_MS / 2;

describe("OFREP event-stream tickets", () => {
  it("stay the same for a whole UTC day and change with the next", () => {
    expect(issueTicket(token, noon)).toBe(issueTicket(token, noon - TICKET_DAY_MS / 2));
    expect(issueTicket(token, noon)).not.toBe(issueTicket(token, noon + TICKET_DAY_MS / 2));
  });

  it("are valid until the end of the next UTC day, then refused as expired", () => {
    const ticket = issueTicket(token, noon);
    expect(checkTicket(ticket, lookup, noon)).toEqual({ ok: true, tokenId: token.id, environment: "production" });
    expect(checkTicket(ticket, lookup, noon + TICKET_DAY_MS + TICKET_DAY_MS / 2 - 1)).toMatchObject({ ok: true });
    expect(checkTicket(ticket, lookup, noon + TICKET_DAY_MS + TICKET_DAY_MS / 2)).toEqual({
      ok: false,
      message: expect.stringMatching(/expired/),
    });
  });

  it("are refused once the token is gone, or signed with another token's hash, or for another environment", () => {
    const ticket = issueTicket(token, noon);
    expect(checkTicket(ticket, () => undefined, noon)).toMatchObject({ ok: false, message: expect.stringMatching(/revoked/) });
    expect(checkTicket(ticket, () => ({ ...token, hash: "b".repeat(64) }), noon)).toMatchObject({ ok: false });
    expect(checkTicket(ticket, () => ({ ...token, environment: "staging" }), noon)).toMatchObject({ ok: false });
  });

  it("never contain the token's hash, and refuse anything not shaped like one", () => {
    expect(issueTicket(token, noon)).not.toContain(token.hash);
    for (const bad of [null, "", "a.b", "a.b.c", `${token.id}.x.sig`, `${token.id}.1.2.3`]) {
      expect(checkTicket(bad, lookup, noon)).toMatchObject({ ok: false });
    }
  });
});
