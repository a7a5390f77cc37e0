import { z } from "zod";

/**
 * Supabase Auth is switched on by SUPABASE_URL and SUPABASE_ANON_KEY together. This module is the
 * only Supabase-related code loaded when they are unset: it reads the variables and, only when they
 * are set, imports the sign-in code (and with it `jose`).
 */
export const supabaseEnvSchema = z
  .object({
    SUPABASE_URL: z
      .string()
      .url("must be the project URL, e.g. https://abcd.supabase.co")
      .transform((u) => u.replace(/\/+$/, ""))
      .optional(),
    SUPABASE_ANON_KEY: z
      .string()
      .superRefine((key, ctx) => {
        const problem = anonKeyProblem(key);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    SUPABASE_JWT_SECRET: z.string().min(32, "must be the project's JWT secret (at least 32 characters)").optional(),
  })
  .refine((v) => !v.SUPABASE_URL === !v.SUPABASE_ANON_KEY, {
    message: "SUPABASE_URL and SUPABASE_ANON_KEY are set together or not at all",
    path: ["SUPABASE_URL"],
  });

const EXPECTED_KEY =
  "must be the project's anon key (a JWT whose role is anon) or its publishable key (sb_publishable_…), from the project's API settings";

/**
 * Why SUPABASE_ANON_KEY is not a usable anon key, or null. The browser gets this key, so a secret one
 * (service_role, sb_secret_…) is refused outright; anything else malformed (a truncated copy, quotes,
 * a placeholder) would otherwise only fail in a browser at sign-in. Decoded by hand: this module must
 * not load jose while Supabase is off.
 */
export function anonKeyProblem(key: string): string | null {
  if (/^sb_publishable_[A-Za-z0-9_-]{10,}$/.test(key)) return null;
  const secret = "is a secret key (it bypasses row-level security and would be sent to every browser): use the anon or publishable key";
  if (key.startsWith("sb_secret_")) return secret;
  const parts = key.split(".");
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return EXPECTED_KEY;
  let role: unknown;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as { alg?: unknown };
    if (typeof header.alg !== "string") return EXPECTED_KEY;
    role = (JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as { role?: unknown }).role;
  } catch {
    return EXPECTED_KEY;
  }
  if (role === "service_role") return secret;
  return role === "anon" ? null : EXPECTED_KEY;
}

export interface SupabaseSettings {
  url: string;
  anonKey: string;
  /** The legacy shared HS256 secret; without it only asymmetric keys from the JWKS are accepted. */
  jwtSecret?: string;
}

/** The settings, or null when Supabase sign-in is off. Throws on a half or malformed configuration. */
export function supabaseSettings(env: Readonly<Record<string, string | undefined>> = process.env): SupabaseSettings | null {
  const parsed = supabaseEnvSchema.safeParse({
    SUPABASE_URL: env.SUPABASE_URL || undefined,
    SUPABASE_ANON_KEY: env.SUPABASE_ANON_KEY || undefined,
    SUPABASE_JWT_SECRET: env.SUPABASE_JWT_SECRET || undefined,
  });
  if (!parsed.success)
    throw new Error(`Invalid Supabase configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const { SUPABASE_URL: url, SUPABASE_ANON_KEY: anonKey, SUPABASE_JWT_SECRET: jwtSecret } = parsed.data;
  if (!url || !anonKey) return null;
  return { url, anonKey, ...(jwtSecret ? { jwtSecret } : {}) };
}

/** The Supabase sign-in service, imported on first use and only when Supabase is configured. */
export async function loadSupabaseSignIn(env: Readonly<Record<string, string | undefined>> = process.env) {
  const settings = supabaseSettings(env);
  if (!settings) return null;
  const { supabaseSignIn } = await import("./supabase/sign-in-with-supabase");
  return supabaseSignIn(settings);
}
