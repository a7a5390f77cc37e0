import type { Role } from "./roles";

/**
 * Where a person lands after signing in (and on "/"): the page with what needs them now, not the
 * same list for everyone. A product owner with forms waiting goes to the inbox; on-call goes to the
 * overview (open incidents, live rollouts, the kill switch); everyone else to the flags.
 */
export function landingPath(roles: readonly Role[], waiting: { approvals: number }): string {
  if (roles.includes("product_owner") && waiting.approvals > 0) return "/approvals";
  if (roles.includes("oncall")) return "/overview";
  return "/flags";
}
