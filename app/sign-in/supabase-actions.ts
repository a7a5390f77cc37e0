"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { loadSupabaseSignIn } from "@/lib/auth/supabase-settings";
import { AppError } from "@/lib/errors";
import { setSessionCookie } from "../_request/session-cookie";
import { returnPath } from "@/lib/auth/return-to";

export interface SupabaseSignInState {
  error?: string;
}

// A Supabase access token is a JWT of a few hundred bytes to a few kilobytes.
const tokenSchema = z
  .string()
  .regex(/^[\w-]+\.[\w-]+\.[\w-]*$/, "not a JWT")
  .max(16_384);

/**
 * The browser signed in with Supabase and hands over its access token: the one credential this
 * action trusts. The server verifies it and, for a known and confirmed email, opens an ordinary
 * Rollgate session, so everything after sign-in is the same as for a password. `next`: the page to
 * go back to (lib/auth/return-to.ts decides whether it may).
 */
export async function supabaseSignInAction(accessToken: unknown, next?: unknown): Promise<SupabaseSignInState> {
  const service = await loadSupabaseSignIn();
  if (!service) return { error: "Supabase sign-in is not enabled on this Rollgate" };
  const parsed = tokenSchema.safeParse(accessToken);
  if (!parsed.success) return { error: "The Supabase sign-in could not be verified" };
  let result;
  try {
    const h = await headers();
    result = await service.signIn(getDb(), { accessToken: parsed.data, userAgent: h.get("user-agent") ?? undefined });
  } catch (err) {
    if (err instanceof AppError && err.code === "UNAUTHENTICATED") {
      console.warn(`[rollgate] Supabase sign-in refused: ${String(err.details.internal ?? err.message)}`);
      return { error: err.message };
    }
    throw err;
  }
  if (!result.ok) redirect(`/sign-in/no-access?email=${encodeURIComponent(result.email)}`);
  await setSessionCookie(result.session);
  // Back where they came from, or "/", which sends each person to what needs them (lib/auth/landing.ts).
  redirect(returnPath(next) ?? "/");
}
