import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { unmatchableHash, verifyPassword } from "./password";
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

const FREE_ATTEMPTS = 5;
const FIRST_LOCK_S = 30;
const MAX_LOCK_S = 15 * 60;

/**
 * One answer for an unknown email, a wrong password and a locked email: telling them apart would let
 * anyone find out which emails have accounts.
 */
export const SIGN_IN_REFUSED = "Email or password is incorrect, or too many failed attempts: try again in a few minutes";

/** After FREE_ATTEMPTS consecutive failures: 30 s, 60 s, 120 s … capped at 15 minutes. */
export function lockDurationMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(FIRST_LOCK_S * 2 ** Math.min(failures - FREE_ATTEMPTS, 10), MAX_LOCK_S) * 1000;
}

/** The key of an email's attempt counter: normalised, then hashed so guesses are not kept in clear. */
export function signInAttemptKey(email: string): string {
  return hashSecret(email.trim().toLowerCase());
}

export async function signIn(
  db: Db,
  input: { email: string; password: string; userAgent?: string },
  now = new Date(),
): Promise<NewSession> {
  const email = input.email.trim().toLowerCase();
  const attempt = await reserveAttempt(db, signInAttemptKey(email), now);
  const user = await db.user.findUnique({ where: { email } });
  // With no real hash to check (unknown email, locked email, account without a password) one that
  // matches nothing: every refusal costs one scrypt, like a wrong password.
  const ok = await verifyPassword(input.password, attempt && user?.passwordHash ? user.passwordHash : unmatchableHash());
  if (!attempt || !ok || !user?.passwordHash || user.disabledAt) {
    // The attempt that set the lock audits it, for known and unknown emails alike (an unknown email
    // being locked is worth knowing, and doing the same work for both keeps them indistinguishable).
    if (attempt?.lockedUntil) await auditLock(db, email, attempt.failures, attempt.lockedUntil);
    if (Math.random() < 0.01) await pruneAttempts(db, now);
    throw new AppError("UNAUTHENTICATED", SIGN_IN_REFUSED);
  }
  return startSession(db, user, { userAgent: input.userAgent, via: "password", passwordHash: user.passwordHash }, now);
}

/**
 * One password check against an email's attempt counter, the sign-in's: null while the email is
 * locked. Any form that checks a password (changing it, too) counts here, so a borrowed session cannot
 * guess the password at full speed; a success clears the counter.
 */
export async function reservePasswordCheck(
  db: Db,
  email: string,
  now = new Date(),
): Promise<{ failures: number; lockedUntil: Date | null } | null> {
  return reserveAttempt(db, signInAttemptKey(email), now);
}

/**
 * Counts the attempt as a failure *before* the password is checked, in one statement: the upsert
 * locks the email's row, so of any number of parallel attempts exactly FREE_ATTEMPTS get through
 * before the lock, and the rest are refused without a password check (a success clears the counter
 * afterwards). Returns null when the email is locked; otherwise the count including this attempt and
 * the lock this attempt set, if any.
 */
async function reserveAttempt(db: Db, emailHash: string, now: Date): Promise<{ failures: number; lockedUntil: Date | null } | null> {
  const rows = await db.$queryRaw<{ failures: number; locked_until: Date | null }[]>`
    INSERT INTO sign_in_attempts AS a (email_hash, failures, locked_until, updated_at)
    VALUES (${emailHash}, 1, NULL, ${now})
    ON CONFLICT (email_hash) DO UPDATE
      SET failures = a.failures + 1,
          locked_until = CASE WHEN a.failures + 1 >= ${FREE_ATTEMPTS}
            THEN ${now}::timestamptz + make_interval(secs => least(${FIRST_LOCK_S} * power(2, least(a.failures + 1 - ${FREE_ATTEMPTS}, 10)), ${MAX_LOCK_S}))
          END,
          updated_at = ${now}
      WHERE a.locked_until IS NULL OR a.locked_until <= ${now}
    RETURNING failures, locked_until`;
  const row = rows[0];
  return row ? { failures: row.failures, lockedUntil: row.locked_until } : null;
}

export async function auditLock(db: Db, email: string, failures: number, lockedUntil: Date): Promise<void> {
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: null, label: "rollgate" },
      action: "user.sign_in_locked",
      target: { type: "user", id: email },
      after: { failedSignIns: failures, lockedUntil: lockedUntil.toISOString() },
    }),
  );
}

/** Counters of emails nobody has tried for a day go, so guessing many emails cannot grow the table forever. */
async function pruneAttempts(db: Db, now: Date): Promise<void> {
  await db.$executeRaw`
    DELETE FROM sign_in_attempts
    WHERE updated_at < ${now}::timestamptz - interval '1 day' AND (locked_until IS NULL OR locked_until < ${now})`;
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
  user: { id: string; email: string },
  input: {
    userAgent?: string;
    via: "password" | "supabase";
    detail?: Record<string, unknown>;
    /** The hash the password was checked against: the session is refused if it changed since. */
    passwordHash?: string;
  },
  now = new Date(),
): Promise<NewSession> {
  const secret = newSecret("rgs");
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db.$transaction(async (tx) => {
    // The password was checked outside this transaction (scrypt takes ~90 ms): a password change or a
    // disabling that committed meanwhile must win. FOR SHARE waits for one in progress; a change that
    // starts after this commits ends this session with the others.
    const [current] = await tx.$queryRaw<{ password_hash: string | null; disabled: boolean }[]>`
      SELECT password_hash, disabled_at IS NOT NULL AS disabled FROM users WHERE id = ${user.id}::uuid FOR SHARE`;
    if (!current || current.disabled || (input.passwordHash !== undefined && current.password_hash !== input.passwordHash)) {
      throw new AppError("UNAUTHENTICATED", SIGN_IN_REFUSED);
    }
    await tx.signInAttempt.deleteMany({ where: { emailHash: signInAttemptKey(user.email) } });
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

export async function signOut(db: Db, secret: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashSecret(secret) } });
}
