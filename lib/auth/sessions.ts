import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { verifyPassword } from "./password";
import { hashSecret, newSecret } from "./secrets";

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

// Compared against when the email is unknown, so a miss costs the same time as a wrong password.
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function signIn(
  db: Db,
  input: { email: string; password: string; userAgent?: string },
  now = new Date(),
): Promise<{ secret: string; expiresAt: Date }> {
  const email = input.email.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email } });
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok || !user.passwordHash || user.disabledAt) {
    throw new AppError("UNAUTHENTICATED", "Email or password is incorrect");
  }
  const secret = newSecret("rgs");
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db.$transaction(async (tx) => {
    await tx.session.create({
      data: { tokenHash: hashSecret(secret), userId: user.id, expiresAt, userAgent: input.userAgent?.slice(0, 300) },
    });
    await recordAudit(tx, {
      actor: { id: user.id, label: user.email },
      action: "session.sign_in",
      target: { type: "user", id: user.email },
    });
  });
  return { secret, expiresAt };
}

export async function signOut(db: Db, secret: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashSecret(secret) } });
}
