import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The credential in an OFREP event-stream URL. Browsers' EventSource cannot send an Authorization
 * header, so the bulk response hands out a URL that carries a ticket instead of the SDK token: it
 * names the token by id, expires, and is signed with the token's hash, so any instance that knows the
 * token can check it, revoking the token revokes its tickets, and a URL that ends up in a log never
 * reveals the token. (Someone who can read the hashes from the database could forge a ticket; all a
 * ticket opens is "the configuration changed" notices, no flag data.)
 *
 * A ticket stays the same for a whole UTC day and is valid until the end of the next one, so bulk
 * answers (and their ETags) change once a day, and a provider holding one from yesterday still connects.
 */
export const TICKET_DAY_MS = 86_400_000;

export interface TicketToken {
  id: string;
  /** hashSecret(token): what the database keeps. */
  hash: string;
  environment: string;
}

const mac = (token: TicketToken, expiresSec: number) =>
  createHmac("sha256", token.hash).update(`ofrep-events\0${token.id}\0${token.environment}\0${expiresSec}`).digest("base64url");

/** The UTC day a ticket issued at `nowMs` belongs to (part of the bulk ETag). */
export const ticketDay = (nowMs: number) => Math.floor(nowMs / TICKET_DAY_MS);

export function issueTicket(token: TicketToken, nowMs: number): string {
  const expiresSec = ((ticketDay(nowMs) + 2) * TICKET_DAY_MS) / 1000;
  return `${token.id}.${expiresSec}.${mac(token, expiresSec)}`;
}

export type TicketCheck = { ok: true; tokenId: string; environment: string } | { ok: false; message: string };

/** Checks a ticket against the live tokens (`lookup` by id: undefined when unknown or revoked). */
export function checkTicket(ticket: string | null, lookup: (tokenId: string) => TicketToken | undefined, nowMs: number): TicketCheck {
  const parts = ticket?.split(".") ?? [];
  if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[1]!)) {
    return { ok: false, message: "this event-stream URL has no valid ticket: take the URL from a bulk evaluation's eventStreams" };
  }
  const [tokenId, expires, signature] = parts as [string, string, string];
  const token = lookup(tokenId);
  const expected = token ? Buffer.from(mac(token, Number(expires))) : null;
  const given = Buffer.from(signature);
  if (!token || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, message: "this event-stream ticket is not valid, or its SDK token was revoked: evaluate again for a new URL" };
  }
  if (Number(expires) * 1000 <= nowMs) {
    return { ok: false, message: "this event-stream ticket has expired: evaluate again for a new URL" };
  }
  return { ok: true, tokenId, environment: token.environment };
}
