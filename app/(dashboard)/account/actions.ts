"use server";

import { cookies } from "next/headers";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE } from "@/lib/auth/identity";
import { changePassword, changePasswordSchema } from "@/lib/users/change-password";
import { untilServedHere } from "@/lib/evaluation/served-here";
import { currentUser } from "../../_request/session";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";

export interface PasswordFormState {
  status: "idle" | "ok" | "invalid";
  message?: string;
  fields?: Record<string, string>;
}

export async function changePasswordAction(_prev: PasswordFormState, form: FormData): Promise<PasswordFormState> {
  if (!isForm(form)) return { status: "invalid", message: UNREADABLE_FORM };
  const parsed = changePasswordSchema.safeParse({
    currentPassword: form.get("currentPassword"),
    newPassword: form.get("newPassword"),
    confirmPassword: form.get("confirmPassword"),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await changePassword(getDb(), await currentUser(), parsed.data, (await cookies()).get(SESSION_COOKIE)?.value);
    // Changed once this instance refuses the other sessions it ended (lib/evaluation/served-here.ts).
    await untilServedHere();
    return { status: "ok" };
  } catch (err) {
    if (err instanceof AppError) return { status: "invalid", message: err.message, fields: err.details.fields };
    throw err;
  }
}
