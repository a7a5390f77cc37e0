import { createHash, randomBytes } from "node:crypto";

/**
 * API tokens and session ids are 32 random bytes, so a fast hash is enough at rest (no dictionary to
 * attack); it also keeps the per-request lookup cheap.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/** The first characters shown in lists so a person can tell tokens apart without the secret. */
export function displayPrefix(token: string): string {
  return token.slice(0, Math.min(token.length, 12));
}
