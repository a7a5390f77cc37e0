import { AppError } from "../errors";
import type { Role } from "./roles";

/** A person, or automation acting with a user token: acts with that user's roles. */
export interface UserPrincipal {
  kind: "user";
  userId: string;
  email: string;
  name: string;
  roles: readonly Role[];
  via: "session" | "token";
}

/** A service holding an SDK token: evaluates, streams and reports events in one environment. */
export interface SdkPrincipal {
  kind: "sdk";
  tokenId: string;
  environment: string;
}

export type Principal = UserPrincipal | SdkPrincipal;

/** How an actor is named in the audit log. */
export function actorLabel(p: UserPrincipal): string {
  return p.via === "token" ? `${p.name} (token)` : p.email;
}

export function requireUser(p: Principal | null): UserPrincipal {
  if (!p) throw new AppError("UNAUTHENTICATED", "Sign in or send a valid API token");
  if (p.kind !== "user") throw new AppError("FORBIDDEN", "SDK tokens may only evaluate flags, stream and send events");
  return p;
}

export function requireSdk(p: Principal | null): SdkPrincipal {
  if (!p) throw new AppError("UNAUTHENTICATED", "Send an SDK token");
  if (p.kind !== "sdk") throw new AppError("FORBIDDEN", "This route needs an SDK token");
  return p;
}
