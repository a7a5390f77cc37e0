import "server-only";
import { cookies, headers } from "next/headers";
import { SESSION_COOKIE } from "@/lib/auth/identity";
import type { NewSession } from "@/lib/auth/sessions";

/** Hands a new session to the browser: HTTP-only, SameSite=Lax, Secure when reached over HTTPS. */
export async function setSessionCookie(session: NewSession): Promise<void> {
  const h = await headers();
  (await cookies()).set(SESSION_COOKIE, session.secret, {
    httpOnly: true,
    sameSite: "lax",
    // Secure when the browser reached us over HTTPS (directly or via a TLS-terminating proxy).
    secure: h.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https" || process.env.ROLLGATE_SECURE_COOKIES === "1",
    path: "/",
    expires: session.cookieExpiresAt,
  });
}
