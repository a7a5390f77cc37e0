"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { SESSION_COOKIE } from "@/lib/auth/identity";
import { signIn, signOut } from "@/lib/auth/sessions";
import { AppError } from "@/lib/errors";
import { fieldErrors } from "@/lib/api/http";

const signInSchema = z.object({
  email: z.string().trim().min(1, "Enter your email").email("Enter a valid email"),
  password: z.string().min(1, "Enter your password"),
});

export interface SignInState {
  error?: string;
  fields?: Record<string, string>;
  email?: string;
}

export async function signInAction(_prev: SignInState, form: FormData): Promise<SignInState> {
  const parsed = signInSchema.safeParse({ email: form.get("email"), password: form.get("password") });
  const email = String(form.get("email") ?? "");
  if (!parsed.success) return { fields: fieldErrors(parsed.error), email };
  try {
    const h = await headers();
    const session = await signIn(getDb(), { ...parsed.data, userAgent: h.get("user-agent") ?? undefined });
    (await cookies()).set(SESSION_COOKIE, session.secret, {
      httpOnly: true,
      sameSite: "lax",
      // Secure when the browser reached us over HTTPS (directly or via a TLS-terminating proxy).
      secure: h.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https" || process.env.ROLLGATE_SECURE_COOKIES === "1",
      path: "/",
      expires: session.cookieExpiresAt,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "UNAUTHENTICATED") return { error: err.message, email };
    throw err;
  }
  redirect("/flags");
}

export async function signOutAction(): Promise<void> {
  const jar = await cookies();
  const secret = jar.get(SESSION_COOKIE)?.value;
  if (secret) await signOut(getDb(), secret);
  jar.delete(SESSION_COOKIE);
  redirect("/sign-in");
}
