import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/lib/db/client";
import { postgresIdentity, SESSION_COOKIE } from "@/lib/auth/identity";
import { rethrowUnavailable } from "@/lib/db/availability";
import type { UserPrincipal } from "@/lib/auth/principal";
import { REQUEST_PATH_HEADER, signInPath } from "@/lib/auth/return-to";

/** The signed-in person for this request (memoised per render), or null. */
export const currentUser = cache(async (): Promise<UserPrincipal | null> => {
  const secret = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!secret) return null;
  // Every dashboard page starts here, so an outage surfaces as "database unavailable" (503), not a 500.
  return postgresIdentity(getDb()).fromSession(secret).catch(rethrowUnavailable);
});

export async function requirePageUser(): Promise<UserPrincipal> {
  const user = await currentUser();
  // Back to this page once signed in (a link from an alert, a page left open past its session).
  if (!user) redirect(signInPath((await headers()).get(REQUEST_PATH_HEADER)));
  return user;
}
