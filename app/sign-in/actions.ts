"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { SESSION_COOKIE } from "@/lib/auth/identity";
import { signIn, signOut } from "@/lib/auth/sessions";
import { untilServedHere } from "@/lib/evaluation/served-here";
import { AppError } from "@/lib/errors";
import { fieldErrors } from "@/lib/api/http";
import { isForm, UNREADABLE_FORM } from "../_request/form-input";
import { secretText } from "@/lib/validation/text";
import { setSessionCookie } from "../_request/session-cookie";
import { returnPath } from "@/lib/auth/return-to";

const signInSchema = z.object({
  email: z
    .string({ error: "Enter your email" })
    .trim()
    .min(1, "Enter your email")
    .max(200, "at most 200 characters")
    .email("Enter a valid email"),
  password: secretText({ min: 1, max: 200, minMessage: "Enter your password" }),
});

export interface SignInState {
  error?: string;
  fields?: Record<string, string>;
  email?: string;
}

export async function signInAction(_prev: SignInState, form: FormData): Promise<SignInState> {
  if (!isForm(form)) return { error: UNREADABLE_FORM };
  const parsed = signInSchema.safeParse({ email: form.get("email"), password: form.get("password") });
  const email = String(form.get("email") ?? "");
  if (!parsed.success) return { fields: fieldErrors(parsed.error), email };
  try {
    const h = await headers();
    const session = await signIn(getDb(), { ...parsed.data, userAgent: h.get("user-agent") ?? undefined });
    await setSessionCookie(session);
  } catch (err) {
    if (err instanceof AppError) return { error: err.message, fields: err.details.fields, email };
    throw err;
  }
  // Back where they came from, or "/", which sends each person to what needs them (lib/auth/landing.ts).
  redirect(returnPath(form.get("next")) ?? "/");
}

export async function signOutAction(): Promise<void> {
  const jar = await cookies();
  const secret = jar.get(SESSION_COOKIE)?.value;
  if (secret) {
    await signOut(getDb(), secret);
    // Signed out once this instance refuses the session (its metrics endpoint remembers sessions for a
    // few seconds and forgets on the commit's NOTIFY: lib/evaluation/served-here.ts).
    await untilServedHere();
  }
  jar.delete(SESSION_COOKIE);
  redirect("/sign-in");
}
