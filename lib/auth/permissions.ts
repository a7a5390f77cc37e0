import { AppError } from "../errors";
import { requireUser, type Principal, type UserPrincipal } from "./principal";
import type { Role } from "./roles";

/**
 * Who may do what: the one table every route handler, service and page asks (`can`,
 * `requirePermission`) instead of naming roles itself, so a rule changes here or nowhere. Any one of
 * the listed roles suffices; the order of the roles is the order the 403 message names them in.
 * README's API table states the same per route; tests/unit/permissions.test.ts keeps the two equal.
 */
export const PERMISSIONS = {
  "flag.create": ["engineer"],
  "flag.update": ["engineer"],
  "flag.archive": ["engineer"],
  /** An ordinary change of a flag's state in one environment. */
  "flag_state.update": ["engineer"],
  /** Changing a flag's state under a live rollout (with a reason; the rollout is paused). */
  "flag_state.override": ["engineer", "admin"],
  "flag.kill": ["oncall", "admin"],
  "flag.restore": ["oncall", "admin"],
  /** Creating, editing and deleting segments (named constraint sets that flags' targeting refers to). */
  "segment.manage": ["engineer", "admin"],
  "guardrails.update": ["engineer", "oncall", "admin"],
  "flag.import": ["admin"],
  "incident.update": ["oncall", "engineer", "admin"],
  "rollout.create": ["engineer"],
  "rollout.edit": ["engineer"],
  "rollout.advance": ["engineer"],
  /** Advancing past red gates, with a written reason. */
  "rollout.advance.override": ["admin"],
  "rollout.pause": ["engineer"],
  "rollout.resume": ["engineer"],
  "rollout.rollback": ["engineer", "oncall"],
  /** Confirming a roll back that restores a wider exposure than now; on-call alone may only narrow. */
  "rollout.rollback.widen": ["engineer", "admin"],
  "rollout.checklist": ["engineer"],
  "rollout.approve": ["product_owner"],
  /** Asking product owners for a phase's approval (issue 24). */
  "rollout.request_approval": ["engineer"],
  /** Writing in a phase's comment thread: whoever takes part in a rollout, not viewers. */
  "rollout.comment": ["engineer", "product_owner", "oncall", "admin"],
  "metrics.contributions": ["admin"],
  "metrics.purge": ["admin"],
  /** The admin pages: users, API tokens, webhooks, environments. */
  "admin.open": ["admin"],
  "user.manage": ["admin"],
  "token.manage": ["admin"],
  "webhook.manage": ["admin"],
  "environment.create": ["admin"],
  "demo.spike": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function rolesFor(permission: Permission): readonly Role[] {
  return PERMISSIONS[permission];
}

/** Whether a user (or an automatic actor with its roles) holds `permission`; an SDK token holds none. */
export function can(who: Principal | { roles: readonly Role[] } | null, permission: Permission): boolean {
  if (!who || !("roles" in who)) return false;
  return PERMISSIONS[permission].some((r) => who.roles.includes(r));
}

/** The signed-in user, if they hold `permission`; 401 without one, 403 naming the roles that would do. */
export function requirePermission(p: Principal | null, permission: Permission): UserPrincipal {
  const user = requireUser(p);
  if (!can(user, permission)) throw new AppError("FORBIDDEN", `This needs the ${PERMISSIONS[permission].join(" or ")} role`);
  return user;
}
