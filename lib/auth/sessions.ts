import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { verifyPassword } from "./password";
import { hashSecret, newSecret } from "./secrets";

/** A session ends after 12 h without use, and 7 days after sign-in whatever happens. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The new idle expiry for a session in use, or null when it need not move yet (renewing only in the
 * second half of the idle window keeps it to one write per session every few hours).
 */
export function renewedExpiry(session: { createdAt: Date; expiresAt: Date }, now: Date): Date | null {
  if (session.expiresAt.getTime() - now.getTime() > SESSION_TTL_MS / 2) return null;
  const next = Math.min(now.getTime() + SESSION_TTL_MS, session.createdAt.getTime() + SESSION_MAX_MS);
  return next > session.expiresAt.getTime() ? new Date(next) : null;
}

// Compared against when the email is unknown, so a miss costs the same time as a wrong password.
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

const FREE_ATTEMPTS = 5;
const MAX_LOCK_MS = 15 * 60 * 1000;

/** After FREE_ATTEMPTS consecutive failures: 30 s, 60 s, 120 s … capped at 15 minutes. */
export function lockDurationMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(30_000 * 2 ** (failures - FREE_ATTEMPTS), MAX_LOCK_MS);
}

export async function signIn(
  db: Db,
  input: { email: string; password: string; userAgent?: string },
  now = new Date(),
): Promise<NewSession> {
  const email = input.email.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email } });
  if (user?.lockedUntil && user.lockedUntil > now) {
    throw new AppError("UNAUTHENTICATED", "Too many failed attempts: try again in a few minutes", {
      retryAfterSeconds: Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000),
    });
  }
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok || !user.passwordHash || user.disabledAt) {
    if (user) await recordFailure(db, user, now);
    throw new AppError("UNAUTHENTICATED", "Email or password is incorrect");
  }
  return startSession(db, user, { userAgent: input.userAgent, via: "password" }, now);
}

export interface NewSession {
  secret: string;
  expiresAt: Date;
  cookieExpiresAt: Date;
}

/**
 * Opens a session for a user whose identity has been proven (password, or a verified Supabase
 * token), clears the failed-attempt counter and audits the sign-in, all in one transaction.
 */
export async function startSession(
  db: Db,
  user: { id: string; email: string; failedSignIns: number; lockedUntil: Date | null },
  input: { userAgent?: string; via: "password" | "supabase"; detail?: Record<string, unknown> },
  now = new Date(),
): Promise<NewSession> {
  const secret = newSecret("rgs");
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db.$transaction(async (tx) => {
    if (user.failedSignIns > 0 || user.lockedUntil) {
      await tx.user.update({ where: { id: user.id }, data: { failedSignIns: 0, lockedUntil: null } });
    }
    await tx.session.create({
      data: { tokenHash: hashSecret(secret), userId: user.id, createdAt: now, expiresAt, userAgent: input.userAgent?.slice(0, 300) },
    });
    await recordAudit(tx, {
      actor: { id: user.id, label: user.email },
      action: "session.sign_in",
      target: { type: "user", id: user.email },
      // Password sign-ins keep their historical shape (no `after`); other providers say which.
      ...(input.via === "password" ? {} : { after: { via: input.via, ...input.detail } }),
    });
  });
  // The cookie may outlive one idle window; the database decides whether the session is still live.
  return { secret, expiresAt, cookieExpiresAt: new Date(now.getTime() + SESSION_MAX_MS) };
}

async function recordFailure(db: Db, user: { id: string; email: string }, now: Date): Promise<void> {
  await db.$transaction(async (tx) => {
    // One atomic increment, so parallel guesses cannot share an attempt.
    const [row] = await tx.$queryRaw<{ failed_sign_ins: number }[]>`
      UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = ${user.id}::uuid RETURNING failed_sign_ins`;
    const failures = row?.failed_sign_ins ?? 0;
    const lockMs = lockDurationMs(failures);
    if (lockMs === 0) return;
    const lockedUntil = new Date(now.getTime() + lockMs);
    await tx.user.update({ where: { id: user.id }, data: { lockedUntil } });
    await recordAudit(tx, {
      actor: { id: null, label: "rollgate" },
      action: "user.sign_in_locked",
      target: { type: "user", id: user.email },
      after: { failedSignIns: failures, lockedUntil: lockedUntil.toISOString() },
    });
  });
}

export async function signOut(db: Db, secret: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashSecret(secret) } });
}
