import { z } from "zod";
import { secretText } from "../validation/text";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { hashPassword, verifyPassword } from "../auth/password";
import { actorLabel, requireUser, type Principal } from "../auth/principal";
import { hashSecret } from "../auth/secrets";
import { auditLock, reservePasswordCheck, signInAttemptKey } from "../auth/sessions";

export const changePasswordSchema = z
  .strictObject({
    currentPassword: secretText({ min: 1, max: 200, minMessage: "enter your current password" }),
    newPassword: secretText({ min: 8, max: 200 }),
    confirmPassword: secretText({ max: 200 }),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { message: "does not match the new password", path: ["confirmPassword"] })
  .refine((v) => v.newPassword !== v.currentPassword, { message: "choose a password you are not using now", path: ["newPassword"] });
export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;

/**
 * Changes the caller's own password and ends their other sessions (a stolen session does not
 * survive the change); the session making the change stays signed in.
 */
export async function changePassword(
  db: Db,
  principal: Principal | null,
  input: ChangePasswordInput,
  currentSessionSecret?: string,
  now = new Date(),
): Promise<void> {
  const me = requireUser(principal);
  const user = await db.user.findUniqueOrThrow({ where: { id: me.userId } });
  // Counted like a sign-in: five wrong current passwords lock the email for sign-in and for this form.
  const attempt = await reservePasswordCheck(db, user.email, now);
  if (!attempt) {
    throw new AppError("VALIDATION_FAILED", "Too many wrong passwords: try again in a few minutes", {
      fields: { currentPassword: "too many wrong attempts; try again in a few minutes" },
    });
  }
  if (!user.passwordHash || !(await verifyPassword(input.currentPassword, user.passwordHash))) {
    if (attempt.lockedUntil) await auditLock(db, user.email, attempt.failures, attempt.lockedUntil);
    throw new AppError("VALIDATION_FAILED", "The current password is not right", {
      fields: { currentPassword: "not your current password" },
    });
  }
  const checked = user.passwordHash;
  const passwordHash = await hashPassword(input.newPassword);
  await db.$transaction(async (tx) => {
    // Only over the password that was checked: two changes at once cannot both win.
    const changed = await tx.user.updateMany({ where: { id: me.userId, passwordHash: checked }, data: { passwordHash } });
    if (changed.count === 0) throw new AppError("CONFLICT", "Your password was changed meanwhile: sign in again with the new one");
    // A new password starts with a clean slate of attempts.
    await tx.signInAttempt.deleteMany({ where: { emailHash: signInAttemptKey(user.email) } });
    const keep = currentSessionSecret ? hashSecret(currentSessionSecret) : undefined;
    const { count } = await tx.session.deleteMany({ where: { userId: me.userId, ...(keep ? { NOT: { tokenHash: keep } } : {}) } });
    await recordAudit(tx, {
      actor: { id: me.userId, label: actorLabel(me) },
      action: "user.password_change",
      target: { type: "user", id: me.email },
      after: { otherSessionsEnded: count },
    });
  });
}
