import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { can, PERMISSIONS, requirePermission, type Permission } from "../../lib/auth/permissions";
import type { UserPrincipal } from "../../lib/auth/principal";
import { ROLES, type Role } from "../../lib/auth/roles";

/** "a", "a or b", "a, b or c": how README's role column lists the roles of one permission. */
function roleList(permission: Permission): string {
  const roles = [...PERMISSIONS[permission]];
  return roles.length === 1 ? roles[0]! : `${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}`;
}

const ANY = "any user";

/**
 * README's management API rows (the route cell as written) and the permissions their role column
 * states. A row added to the README without an entry here, or an entry without a row, fails below.
 */
const ROUTES: Record<string, () => string> = {
  "GET /api/v1/flags": () => ANY,
  "POST /api/v1/flags": () => roleList("flag.create"),
  "GET /api/v1/flags/{key}": () => ANY,
  "PATCH /api/v1/flags/{key}": () => roleList("flag.update"),
  "DELETE /api/v1/flags/{key}": () => roleList("flag.archive"),
  "POST /api/v1/flags/archive": () => roleList("flag.archive"),
  "PATCH /api/v1/flags/{key}/environments/{env}": () => roleList("flag_state.update"),
  "GET /api/v1/environments": () => ANY,
  "POST /api/v1/environments": () => roleList("environment.create"),
  "GET /api/v1/tokens": () => roleList("token.manage"),
  "POST /api/v1/tokens": () => roleList("token.manage"),
  "DELETE /api/v1/tokens/{id}": () => roleList("token.manage"),
  "GET /api/v1/webhooks": () => roleList("webhook.manage"),
  "POST /api/v1/webhooks": () => roleList("webhook.manage"),
  "PATCH /api/v1/webhooks/{id}": () => roleList("webhook.manage"),
  "DELETE /api/v1/webhooks/{id}": () => roleList("webhook.manage"),
  "POST /api/v1/webhooks/{id}/test": () => roleList("webhook.manage"),
  "GET /api/v1/users": () => roleList("user.manage"),
  "POST /api/v1/users": () => roleList("user.manage"),
  "PATCH /api/v1/users/{id}": () => roleList("user.manage"),
  "GET /api/v1/segments": () => ANY,
  "POST /api/v1/segments": () => roleList("segment.manage"),
  "GET /api/v1/segments/{id}": () => ANY,
  "PATCH /api/v1/segments/{id}": () => roleList("segment.manage"),
  "DELETE /api/v1/segments/{id}": () => roleList("segment.manage"),
  "GET /api/v1/rollouts?flagKey=&status=live\\|all&limit=&cursor=": () => ANY,
  "POST /api/v1/rollouts": () => roleList("rollout.create"),
  "GET /api/v1/rollouts/{id}": () => ANY,
  "GET /api/v1/rollouts/{id}/comparison": () => ANY,
  "GET /api/v1/rollouts/{id}/phases/{index}/review": () => ANY,
  "PATCH /api/v1/rollouts/{id}": () => roleList("rollout.edit"),
  "POST /api/v1/rollouts/{id}/advance": () => `${roleList("rollout.advance")} (${roleList("rollout.advance.override")} with \`override\`)`,
  "POST /api/v1/rollouts/{id}/pause` · `/resume` · `/rollback": () => {
    // One row for pause and resume: they must keep sharing their roles.
    expect(PERMISSIONS["rollout.resume"]).toEqual(PERMISSIONS["rollout.pause"]);
    return `${roleList("rollout.pause")} (rollback: ${roleList("rollout.rollback")}; a rollback that widens exposure: ${roleList("rollout.rollback.widen")})`;
  },
  "POST /api/v1/rollouts/{id}/phases/{index}/approvals": () => roleList("rollout.approve"),
  "POST /api/v1/rollouts/{id}/phases/{index}/checklist": () => roleList("rollout.checklist"),
  "POST /api/v1/rollouts/{id}/phases/{index}/approval-requests": () => roleList("rollout.request_approval"),
  "GET /api/v1/rollouts/{id}/phases/{index}/comments": () => ANY,
  "POST /api/v1/rollouts/{id}/phases/{index}/comments": () => roleList("rollout.comment"),
  "GET /api/v1/approvals/inbox": () => ANY,
  "POST /api/v1/flags/{key}/environments/{env}/kill": () => roleList("flag.kill"),
  "POST /api/v1/flags/{key}/environments/{env}/restore": () => roleList("flag.restore"),
  "GET /api/v1/flags/{key}/environments/{env}/guardrails": () => ANY,
  "PUT /api/v1/flags/{key}/environments/{env}/guardrails": () => roleList("guardrails.update"),
  "GET /api/v1/incidents?status=open\\|all": () => ANY,
  "GET /api/v1/incidents/{id}": () => ANY,
  "PATCH /api/v1/incidents/{id}": () => roleList("incident.update"),
  "POST /api/v1/incidents/{id}/notes": () => roleList("incident.update"),
  "POST /api/v1/incidents/{id}/acknowledge": () => roleList("incident.update"),
  "POST /api/v1/incidents/{id}/resolve": () => roleList("incident.update"),
  "GET /api/v1/incidents/{id}/report": () => ANY,
  "GET /api/v1/audit?limit=&before=&target=": () => ANY,
  "GET /api/v1/metrics/contributions?flag=&environment=&from=&to=": () => roleList("metrics.contributions"),
  "POST /api/v1/metrics/purge": () => roleList("metrics.purge"),
  "POST /api/v1/import/unleash": () => roleList("flag.import"),
};

/** The rows of README's "Management API (user tokens)" table: route cell and role cell. */
function readmeRows(): [string, string][] {
  const readme = readFileSync(path.join(import.meta.dirname, "../../README.md"), "utf8");
  const start = readme.indexOf("### Management API (user tokens)");
  expect(start).toBeGreaterThan(-1);
  const lines = readme.slice(start).split("\n").slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith("|")));
  const rows = table
    .slice(
      0,
      table.findIndex((l) => !l.startsWith("|")),
    )
    .slice(2); // header and rule
  // Cells split on pipes that are not escaped (`live\|all` is one cell).
  return rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    return [cells[1]!.replace(/^`|`$/g, ""), cells[2]!];
  });
}

describe("README's API table and the permission table", () => {
  const rows = readmeRows();

  it("lists the same routes", () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.map(([route]) => route).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it.each(rows)("%s: the role column says what PERMISSIONS says", (route, roles) => {
    expect(roles).toBe(ROUTES[route]!());
  });
});

describe("can and requirePermission", () => {
  const user = (...roles: Role[]): UserPrincipal => ({ kind: "user", userId: "u", email: "u@x", name: "U", roles, via: "token" });

  it("grants a permission to any one of its roles, and nothing to an SDK token or nobody", () => {
    expect(can(user("oncall"), "flag.kill")).toBe(true);
    expect(can(user("engineer"), "flag.kill")).toBe(false);
    expect(can(user("viewer", "oncall"), "rollout.rollback")).toBe(true);
    expect(can(user("oncall"), "rollout.rollback.widen")).toBe(false);
    expect(can({ kind: "sdk", tokenId: "t", environment: "production" }, "flag.create")).toBe(false);
    expect(can(null, "flag.create")).toBe(false);
  });

  it("refuses with 403 naming the roles that would do, and 401 without a principal", () => {
    expect(() => requirePermission(user("viewer"), "incident.update")).toThrow("This needs the oncall or engineer or admin role");
    expect(() => requirePermission(null, "incident.update")).toThrow(/Sign in/);
    expect(requirePermission(user("product_owner"), "rollout.approve").userId).toBe("u");
  });

  it("names only real roles, and the viewer none", () => {
    for (const roles of Object.values(PERMISSIONS)) for (const r of roles) expect(ROLES).toContain(r);
    expect(Object.values(PERMISSIONS).some((roles) => (roles as readonly Role[]).includes("viewer"))).toBe(false);
  });
});
