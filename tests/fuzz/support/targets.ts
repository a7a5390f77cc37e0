import fc from "fast-check";
import { ROLES, type Role } from "../../../lib/auth/roles";
import { hostileString, segment, toWellFormed } from "./hostile";

/** What the generators draw real values from, gathered from the seeded database. */
export interface World {
  flagKeys: string[];
  /** Flags that actions and routes may archive without starving the rest of the run. */
  spareFlagKeys: string[];
  environments: string[];
  rolloutIds: string[];
  /** Segments, the first used by a flag state (so deleting it is refused), the others free. */
  segmentIds: string[];
  spareUserIds: string[];
  spareTokenIds: string[];
  /** Webhooks (to closed loopback ports) that actions may test, disable and delete. */
  webhookIds: string[];
  tokens: Record<Role, string>;
  sdkToken: string;
  /** The server's origin, as a browser on its pages sends it (cookie-authenticated writes need it). */
  origin: string;
  cookies: Record<Role, string>;
  /** Sessions that sign-out calls may end. */
  throwawayCookies: string[];
}

/** A route served over plain HTTP: the management API, the data plane, or a dashboard page. */
export interface HttpTarget {
  kind: "http";
  /** `METHOD /path/{param}`, as the inventory names it. */
  id: string;
  /** The role whose token makes the request plausible (most requests use it). */
  role?: Role | "sdk";
  /** A well-formed body the generator breaks in one place. */
  body?: (w: World) => Record<string, unknown>;
  /** Bodies that once broke the route: every run sends them again, besides what it generates. */
  hazards?: (w: World) => unknown[];
  query?: readonly string[];
  /** Server-Sent Events: a 200 is an open stream, not a response to wait for. */
  streaming?: boolean;
}

/** A server action, called as React calls it (`Next-Action` header) from the page that renders it. */
export interface ActionTarget {
  kind: "action";
  id: `action ${string}`;
  name: string;
  page: string;
  role?: Role;
  /** `(prevState, formData)` for useActionState forms, none for sign-out, one plain value otherwise. */
  args: "state-form" | "none" | "value";
  fields: (w: World) => [string, fc.Arbitrary<string>][];
}

export type Target = HttpTarget | ActionTarget;

const text = (...plausible: string[]) =>
  fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...plausible) }, { weight: 3, arbitrary: hostileString.map(toWellFormed) });
const one = <T>(w: readonly T[], fallback: T): T => w[0] ?? fallback;

const phase = {
  name: "10 %",
  percent: 10,
  minSoakSeconds: 3600,
  criteria: { minSuccessRate: 0.99, maxP95Ms: 500 },
  requiredApprovals: 1,
  checklist: ["backup verified"],
};
const approval = { decision: "approved", riskLevel: "low", reviewed: ["impact"], signature: "PO Bot" };
const event = {
  flagKey: "checkout-redesign",
  variant: "on",
  outcome: "success",
  latencyMs: 12,
  errorCode: "E1",
  targetingKey: "u-1",
  timestamp: new Date().toISOString(),
};

export const HTTP_TARGETS: HttpTarget[] = [
  {
    kind: "http",
    id: "GET /api/v1/flags",
    role: "viewer",
    query: ["limit", "cursor", "q", "environment", "state", "owner", "tag", "stale", "sort"],
  },
  {
    kind: "http",
    id: "POST /api/v1/flags",
    role: "engineer",
    body: () => ({ key: `fz-${Math.random().toString(36).slice(2, 8)}`, description: "fuzz", owner: "team-fuzz", tags: ["fuzz"] }),
  },
  { kind: "http", id: "GET /api/v1/flags/{key}", role: "viewer" },
  {
    kind: "http",
    id: "PATCH /api/v1/flags/{key}",
    role: "engineer",
    body: () => ({ description: "changed", owner: "team-fuzz", tags: ["fuzz", "q3"] }),
  },
  { kind: "http", id: "DELETE /api/v1/flags/{key}", role: "engineer", body: () => ({ reason: "fuzz archive" }) },
  {
    kind: "http",
    id: "POST /api/v1/flags/archive",
    role: "engineer",
    body: (w) => ({ keys: w.spareFlagKeys.slice(0, 2), reason: "fuzz bulk archive" }),
    hazards: (w) => [
      { keys: [], reason: "x" },
      { keys: [one(w.spareFlagKeys, "x"), "no-such-flag"], reason: "fuzz" },
      { keys: ["a"], reason: "" },
    ],
  },
  // The bulk-archive path shadows a flag named "archive"; its own routes answer there.
  { kind: "http", id: "GET /api/v1/flags/archive", role: "viewer" },
  { kind: "http", id: "PATCH /api/v1/flags/archive", role: "engineer", body: () => ({ description: "changed" }) },
  { kind: "http", id: "DELETE /api/v1/flags/archive", role: "engineer", body: () => ({ reason: "fuzz archive" }) },
  {
    kind: "http",
    id: "PATCH /api/v1/flags/{key}/environments/{env}",
    role: "engineer",
    body: (w) => ({
      version: 1,
      enabled: true,
      rolloutPercent: 25,
      allowlist: ["qa-1"],
      reason: "fuzz",
      override: { reason: "fuzz override" },
      targeting: {
        strategies: [
          {
            rollout: 50,
            stickiness: "userId",
            constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"], caseInsensitive: true }],
            segments: w.segmentIds.slice(0, 1).map(Number),
          },
        ],
        variants: [{ name: "blue", weight: 500, payload: { type: "json", value: '{"a":1}' } }],
        dependencies: [],
      },
    }),
    hazards: () => [
      {
        version: 1,
        targeting: { strategies: [{ rollout: 10, constraints: [{ contextName: "x", operator: "REGEX", value: "^(a+)+$" }] }] },
      },
      { version: 1, targeting: { strategies: [{ rollout: 10, segments: [2147483647] }] } },
      { version: 1, targeting: { dependencies: [{ feature: "checkout-redesign" }, { feature: "checkout-redesign" }] } },
      { version: 1, targeting: null },
    ],
  },
  { kind: "http", id: "GET /api/v1/environments", role: "viewer" },
  {
    kind: "http",
    id: "POST /api/v1/environments",
    role: "admin",
    body: () => ({ key: `fz${Math.random().toString(36).slice(2, 8)}`, name: "Fuzz" }),
    hazards: () => [
      { key: "production", name: "Again" },
      { key: "Prod", name: "x" },
      { key: "a".repeat(41), name: "x" },
    ],
  },
  { kind: "http", id: "GET /api/v1/tokens", role: "admin" },
  {
    kind: "http",
    id: "POST /api/v1/tokens",
    role: "admin",
    body: () => ({ kind: "sdk", name: "fuzz", environment: "staging" }),
    hazards: () => [
      { kind: "sdk", name: "x", environment: "nowhere" },
      { kind: "user", name: "x", userId: "00000000-0000-0000-0000-000000000000" },
      { kind: "admin", name: "x" },
    ],
  },
  { kind: "http", id: "DELETE /api/v1/tokens/{id}", role: "admin" },
  { kind: "http", id: "GET /api/v1/webhooks", role: "admin" },
  {
    kind: "http",
    id: "POST /api/v1/webhooks",
    role: "admin",
    // A receiver nobody listens on: the fuzz must not depend on a delivery arriving.
    body: () => ({ environment: "staging", name: "fuzz", url: "http://127.0.0.1:9/hook" }),
    hazards: () => [
      { environment: "staging", name: "x", url: "http://user:pass@example.com/" },
      { environment: "staging", name: "x", url: "ftp://example.com/" },
      { environment: "nowhere", name: "x", url: "https://example.com/" },
    ],
  },
  { kind: "http", id: "PATCH /api/v1/webhooks/{id}", role: "admin", body: () => ({ enabled: false }) },
  { kind: "http", id: "DELETE /api/v1/webhooks/{id}", role: "admin" },
  { kind: "http", id: "POST /api/v1/webhooks/{id}/test", role: "admin" },
  { kind: "http", id: "GET /api/v1/users", role: "admin" },
  {
    kind: "http",
    id: "POST /api/v1/users",
    role: "admin",
    body: () => ({
      email: `fz-${Math.random().toString(36).slice(2, 8)}@example.com`,
      name: "Fuzz",
      roles: ["viewer"],
      password: "fuzz-password",
    }),
    hazards: () => [
      { email: "a@b.co", name: "x", roles: ["root"], password: "long enough" },
      { email: "a@b.co", name: "x", roles: [], password: "long enough" },
      { email: "not an email", name: "x", roles: ["viewer"], password: "long enough" },
    ],
  },
  { kind: "http", id: "PATCH /api/v1/users/{id}", role: "admin", body: () => ({ roles: ["viewer"] }) },
  { kind: "http", id: "GET /api/v1/segments", role: "viewer" },
  {
    kind: "http",
    id: "POST /api/v1/segments",
    role: "engineer",
    body: () => ({
      name: `fz-${Math.random().toString(36).slice(2, 8)}`,
      description: "fuzz",
      constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }],
    }),
    hazards: () => [
      { name: "Staff", constraints: [{ contextName: "n", operator: "NUM_GT", value: "1e999" }] },
      { name: "x", constraints: [{ contextName: "ip", operator: "IN_CIDR", values: ["::1/129"] }] },
    ],
  },
  { kind: "http", id: "GET /api/v1/segments/{id}", role: "viewer" },
  {
    kind: "http",
    id: "PATCH /api/v1/segments/{id}",
    role: "engineer",
    body: () => ({ version: 1, name: "Fuzzed", constraints: [{ contextName: "userId", operator: "IN", values: ["u-1"] }], confirm: true }),
    hazards: () => [
      { version: 2147483648, name: "x" },
      { version: 1, constraints: [] },
    ],
  },
  { kind: "http", id: "DELETE /api/v1/segments/{id}", role: "engineer" },
  { kind: "http", id: "POST /api/v1/flags/{key}/environments/{env}/kill", role: "oncall", body: () => ({ reason: "errors spiking" }) },
  { kind: "http", id: "POST /api/v1/flags/{key}/environments/{env}/restore", role: "oncall", body: () => ({ reason: "fixed" }) },
  { kind: "http", id: "GET /api/v1/flags/{key}/metrics", role: "viewer", query: ["environment", "windowSeconds", "bucketSeconds"] },
  {
    kind: "http",
    id: "GET /api/v1/flags/{key}/variants",
    role: "viewer",
    query: ["environment", "windowSeconds", "bucketSeconds", "control"],
  },
  { kind: "http", id: "GET /api/v1/status", role: "viewer" },
  {
    kind: "http",
    id: "POST /api/v1/rollouts",
    role: "engineer",
    body: (w) => ({ flagKey: one(w.flagKeys, "x"), environment: "production", phases: [phase] }),
  },
  { kind: "http", id: "GET /api/v1/rollouts", role: "viewer", query: ["flagKey", "status", "limit", "cursor"] },
  { kind: "http", id: "GET /api/v1/rollouts/{id}", role: "viewer" },
  { kind: "http", id: "GET /api/v1/rollouts/{id}/comparison", role: "viewer" },
  { kind: "http", id: "GET /api/v1/rollouts/{id}/phases/{index}/review", role: "viewer" },
  {
    kind: "http",
    id: "PATCH /api/v1/rollouts/{id}",
    role: "engineer",
    body: () => ({ version: 1, phases: [phase, { ...phase, name: "50 %", percent: 50 }], autoAdvance: false, notifyWebhookIds: [] }),
  },
  {
    kind: "http",
    id: "POST /api/v1/rollouts/{id}/phases/{index}/checklist",
    role: "engineer",
    body: () => ({ item: "backup verified", done: true }),
  },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/advance", role: "engineer", body: () => ({ version: 1 }) },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/pause", role: "engineer", body: () => ({ version: 1, reason: "hold" }) },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/resume", role: "engineer", body: () => ({ version: 1 }) },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/rollback", role: "oncall", body: () => ({ version: 1, reason: "bad" }) },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/phases/{index}/approvals", role: "product_owner", body: () => approval },
  {
    kind: "http",
    id: "POST /api/v1/rollouts/{id}/phases/{index}/approval-requests",
    role: "engineer",
    body: () => ({ productOwners: [], note: "Ready for the next phase" }),
  },
  { kind: "http", id: "GET /api/v1/rollouts/{id}/phases/{index}/comments", role: "viewer" },
  { kind: "http", id: "POST /api/v1/rollouts/{id}/phases/{index}/comments", role: "engineer", body: () => ({ body: "Any questions?" }) },
  { kind: "http", id: "GET /api/v1/approvals/inbox", role: "product_owner" },
  { kind: "http", id: "GET /api/v1/audit", role: "viewer", query: ["limit", "before", "target", "actor", "action"] },
  { kind: "http", id: "GET /api/v1/incidents", role: "viewer", query: ["status"] },
  { kind: "http", id: "GET /api/v1/metrics/contributions", role: "admin", query: ["flag", "environment", "from", "to"] },
  {
    kind: "http",
    id: "POST /api/v1/metrics/purge",
    role: "admin",
    body: (w) => ({
      tokenId: one(w.spareTokenIds, "00000000-0000-4000-8000-000000000000"),
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date().toISOString(),
      flag: one(w.spareFlagKeys, "checkout-redesign"),
      reason: "fuzz",
    }),
    // Ranges a Date cannot hold, or inverted and overlong, must be a 400 and purge nothing.
    hazards: () => [
      { tokenId: "00000000-0000-4000-8000-000000000000", from: 9e15, to: 8.64e15, reason: "x" },
      { tokenId: "00000000-0000-4000-8000-000000000000", from: "2026-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z", reason: "x" },
      { tokenId: "00000000-0000-4000-8000-000000000000", from: 0, to: 8.64e15, reason: "x" },
    ],
  },
  { kind: "http", id: "GET /api/v1/flags/{key}/environments/{env}/guardrails", role: "viewer" },
  {
    kind: "http",
    id: "PUT /api/v1/flags/{key}/environments/{env}/guardrails",
    role: "oncall",
    body: () => ({
      guardrails: [{ metric: "error_rate", threshold: 0.01, windowSeconds: 300, minSamples: 100, action: "kill" }],
      dryRun: true,
    }),
  },
  { kind: "http", id: "GET /api/v1/incidents/{id}", role: "viewer" },
  { kind: "http", id: "GET /api/v1/incidents/{id}/report", role: "viewer" },
  { kind: "http", id: "POST /api/v1/incidents/{id}/acknowledge", role: "oncall", body: () => ({ version: 1, note: "on it" }) },
  { kind: "http", id: "PATCH /api/v1/incidents/{id}", role: "oncall", body: () => ({ version: 1, severity: "sev3", assigneeId: null }) },
  { kind: "http", id: "POST /api/v1/incidents/{id}/notes", role: "oncall", body: () => ({ body: "rolled back the deploy" }) },
  {
    kind: "http",
    id: "POST /api/v1/incidents/{id}/resolve",
    role: "oncall",
    body: () => ({ version: 1, summary: "fixed", impact: "", rootCause: "", actionsTaken: "", followUps: "" }),
  },
  {
    kind: "http",
    id: "POST /api/v1/events",
    role: "sdk",
    body: () => ({
      contexts: [{ userId: "user-1", sessionId: "s-1", properties: { email: "ana@acme.com", plan: "pro" } }],
      events: [event, { ...event, outcome: "error", latencyMs: 900 }],
      summaries: [
        {
          flagKey: "checkout-redesign",
          variant: "on",
          reason: "SPLIT",
          minute: new Date().toISOString(),
          requests: 2,
          errors: 1,
          errorsByCode: { E_FUZZ: 1 },
          latencySumMs: 12,
          latencyBuckets: [1, 1, ...Array.from({ length: 18 }, () => 0)],
          errorSubjects: ["user-1"],
        },
      ],
    }),
    // Times past the last a Date can hold were a RangeError and a 500 (issue 22).
    hazards: () => [
      // The audience sample's users: limits on fields, properties and their number (issue 25).
      { contexts: [{ userId: "a\u0000b" }] },
      { contexts: [{ userId: "u", properties: { n: 1, o: { deep: true } } }] },
      { contexts: Array.from({ length: 1001 }, (_, i) => ({ userId: `u-${i}` })) },
      { events: [{ ...event, timestamp: 9e15 }] },
      { events: [{ ...event, timestamp: 2 ** 53 - 1 }] },
      {
        summaries: [
          {
            flagKey: "checkout-redesign",
            variant: "on",
            minute: 9e15,
            requests: 1,
            errors: 0,
            latencySumMs: 1,
            latencyBuckets: [1, ...Array.from({ length: 19 }, () => 0)],
          },
        ],
      },
    ],
  },
  {
    kind: "http",
    id: "POST /ofrep/v1/evaluate/flags/{key}",
    role: "sdk",
    body: () => ({ context: { targetingKey: "user-1", plan: "pro" } }),
  },
  { kind: "http", id: "POST /ofrep/v1/evaluate/flags", role: "sdk", body: () => ({ context: { targetingKey: "user-1" } }) },
  { kind: "http", id: "GET /api/v1/stream", role: "sdk", streaming: true },
  // The ticket comes from a bulk answer; the fuzz's are all forged, so every request must be a clean 401.
  { kind: "http", id: "GET /ofrep/v1/events", query: ["ticket"], streaming: true },
  { kind: "http", id: "GET /api/v1/live", role: "viewer", streaming: true },
  // Operations: unauthenticated probes and the metrics (open in the fuzz server: no ROLLGATE_METRICS_TOKEN).
  { kind: "http", id: "GET /healthz" },
  { kind: "http", id: "GET /readyz" },
  { kind: "http", id: "GET /metrics" },
  {
    kind: "http",
    id: "POST /api/v1/import/unleash",
    role: "admin",
    body: () => ({
      export: {
        version: 1,
        features: [
          {
            name: "Fuzz.Imported",
            enabled: true,
            strategies: [{ name: "flexibleRollout", parameters: { rollout: "10", stickiness: "default", groupId: "Fuzz.Imported" } }],
          },
        ],
      },
      unmappable: "skip",
    }),
  },
  // Unleash's client API (Unleash SDKs send the bare token; the fuzzer sends Bearer, also accepted).
  { kind: "http", id: "GET /api/client/features", role: "sdk" },
  {
    kind: "http",
    id: "POST /api/client/register",
    role: "sdk",
    body: () => ({ appName: "fuzz", instanceId: "i-1", strategies: ["default"], started: "2026-11-23T00:00:00Z", interval: 1000 }),
  },
  {
    kind: "http",
    id: "POST /api/client/metrics",
    role: "sdk",
    body: () => ({
      appName: "fuzz",
      instanceId: "i-1",
      // A recent bucket, so the valid body is counted rather than refused as too old.
      bucket: {
        start: new Date(Date.now() - 60_000).toISOString(),
        stop: new Date().toISOString(),
        toggles: { "dark-mode": { yes: 3, no: 1 } },
      },
    }),
    // A NUL in a toggle name was PostgreSQL 22021 and a 500; a bucket ending before it started and
    // counts of 9e15 were accepted (issue 22).
    hazards: () => {
      const now = Date.now();
      return [
        { bucket: { start: now - 60_000, stop: now, toggles: { "dark\u0000mode": { yes: 1, no: 0 } } } },
        { bucket: { start: now, stop: now - 60_000, toggles: { "dark-mode": { yes: 1, no: 0 } } } },
        { bucket: { start: now - 60_000, stop: now, toggles: { "dark-mode": { yes: 9e15, no: 9e15 } } } },
      ];
    },
  },
  // Dashboard pages.
  { kind: "http", id: "GET /", role: "viewer" },
  { kind: "http", id: "GET /sign-in" },
  { kind: "http", id: "GET /sign-in/no-access", query: ["email"] },
  { kind: "http", id: "GET /sign-in/supabase" },
  {
    kind: "http",
    id: "GET /flags",
    role: "viewer",
    query: ["q", "environment", "state", "owner", "tag", "stale", "sort", "limit", "cursor"],
  },
  { kind: "http", id: "GET /flags/{key}", role: "engineer" },
  { kind: "http", id: "GET /segments", role: "engineer" },
  { kind: "http", id: "GET /audit", role: "viewer", query: ["target", "actor", "action", "before", "signins"] },
  { kind: "http", id: "GET /admin", role: "admin" },
  { kind: "http", id: "GET /admin/import", role: "admin" },
  { kind: "http", id: "GET /account", role: "viewer" },
  { kind: "http", id: "GET /incidents", role: "oncall", query: ["status"] },
  { kind: "http", id: "GET /overview", role: "oncall" },
  { kind: "http", id: "GET /incidents/{id}", role: "oncall" },
  { kind: "http", id: "GET /approvals", role: "product_owner" },
  { kind: "http", id: "GET /rollouts/{id}", role: "engineer", query: ["signed"] },
  { kind: "http", id: "GET /rollouts/{id}/phases/{index}/approve", role: "product_owner" },
  { kind: "http", id: "GET /flags/{key}/new-rollout", role: "engineer" },
];

export const ACTION_TARGETS: ActionTarget[] = [
  {
    kind: "action",
    id: "action signInAction",
    name: "signInAction",
    page: "/sign-in",
    args: "state-form",
    fields: () => [
      ["email", text("viewer@rollgate.dev", "nobody@example.com", "not-an-email")],
      ["password", text("wrong-password", "")],
    ],
  },
  {
    kind: "action",
    id: "action supabaseSignInAction",
    name: "supabaseSignInAction",
    page: "/sign-in",
    args: "value",
    fields: () => [["accessToken", text("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "a.b.c", "not-a-jwt")]],
  },
  { kind: "action", id: "action signOutAction", name: "signOutAction", page: "/flags", args: "none", fields: () => [] },
  {
    kind: "action",
    id: "action createFlagAction",
    name: "createFlagAction",
    page: "/flags",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["key", text("fz-action-flag", one(w.flagKeys, "x"), "UPPER")],
      ["description", text("made by the fuzzer")],
      ["owner", text("team-fuzz", "")],
      ["tags", text("fuzz, q3", "Not A Slug", "")],
    ],
  },
  {
    kind: "action",
    id: "action saveSegmentAction",
    name: "saveSegmentAction",
    page: "/segments",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["id", text("", ...w.segmentIds, "0", "abc")],
      ["version", text("1", "2", "-1", "x")],
      ["name", text("Fuzz action segment", "Fuzz staff", "")],
      ["description", text("made by the fuzzer", "")],
      [
        "constraints",
        text(
          '[{"contextName":"email","operator":"STR_ENDS_WITH","values":["@acme.com"]}]',
          '[{"contextName":"n","operator":"NUM_GT","value":"x"}]',
          "[]",
          "{",
          "null",
        ),
      ],
      ["confirm", text("on", "")],
      ["reason", text("fuzzing", "")],
    ],
  },
  {
    kind: "action",
    id: "action deleteSegmentAction",
    name: "deleteSegmentAction",
    page: "/segments",
    role: "engineer",
    args: "state-form",
    fields: (w) => [["id", text(...w.segmentIds, "0", "99999999", "abc")]],
  },
  {
    kind: "action",
    id: "action archiveFlagsAction",
    name: "archiveFlagsAction",
    page: "/flags",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["keys", text(...w.spareFlagKeys)],
      ["keys", text(...w.spareFlagKeys, "no-such-flag")],
      ["reason", text("bulk cleanup", "")],
    ],
  },
  {
    kind: "action",
    id: "action updateFlagStateAction",
    name: "updateFlagStateAction",
    page: "/flags/{key}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.flagKeys)],
      ["environment", text(...w.environments, "nowhere")],
      ["version", text("1", "2", "0", "-1", "1e3", "999999999999")],
      ["enabled", text("on", "off")],
      ["rolloutPercent", text("0", "25", "100", "101", "-5", "1.5")],
      ["allowlist", text("qa-1, qa-2", "", "a\nb")],
      ["reason", text("", "x", "ticket 4121: widen")],
      ["override", text("on", "", "yes")],
    ],
  },
  {
    kind: "action",
    id: "action updateTargetingAction",
    name: "updateTargetingAction",
    page: "/flags/{key}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.flagKeys)],
      ["environment", text(...w.environments, "nowhere")],
      ["version", text("1", "2", "0", "-1", "1e3", "999999999999")],
      [
        "targeting",
        text(
          '{"strategies":[{"rollout":100,"title":"Staff","constraints":[{"contextName":"email","operator":"STR_ENDS_WITH","values":["@acme.com"]}]}]}',
          `{"strategies":[{"rollout":10,"segments":[${w.segmentIds.slice(0, 1).join(",") || "1"}]}],"variants":[],"dependencies":[]}`,
          '{"strategies":[{"rollout":"abc","constraints":[{"contextName":"n","operator":"NUM_GT","value":"abc"}]}]}',
          '{"strategies":[{"rollout":10,"segments":[2147483647]}]}',
          "null",
          "{",
          "[]",
        ),
      ],
      ["reason", text("", "x", "ticket 4121: Staff first")],
    ],
  },
  {
    kind: "action",
    id: "action updateFlagSettingsAction",
    name: "updateFlagSettingsAction",
    page: "/flags/{key}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.flagKeys)],
      ["description", text("new words")],
      ["owner", text("team-fuzz", "")],
      ["tags", text("fuzz, q3", "Not A Slug", "")],
      ["rawEventSamplePercent", text("12.5", "0", "100")],
    ],
  },
  {
    kind: "action",
    id: "action archiveFlagAction",
    name: "archiveFlagAction",
    page: "/flags/{key}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.spareFlagKeys)],
      ["reason", text("no longer needed", "")],
    ],
  },
  {
    kind: "action",
    id: "action createUserAction",
    name: "createUserAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: () => [
      ["email", text("fz-user@example.com", "viewer@rollgate.dev")],
      ["name", text("Fuzz User")],
      ["password", text("long-enough-pw", "short")],
      ["roles", text(...ROLES, "root")],
      ["roles", text(...ROLES)],
    ],
  },
  {
    kind: "action",
    id: "action updateUserAction",
    name: "updateUserAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [
      ["userId", text(...w.spareUserIds, "00000000-0000-4000-8000-000000000000")],
      ["roles", text(...ROLES)],
      ["disabled", text("on", "")],
    ],
  },
  {
    kind: "action",
    id: "action createTokenAction",
    name: "createTokenAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [
      ["target", text(...w.spareUserIds.map((id) => `user:${id}`), "sdk:production", "sdk:nowhere", "user:")],
      ["name", text("fuzz token")],
    ],
  },
  {
    kind: "action",
    id: "action revokeTokenAction",
    name: "revokeTokenAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [["tokenId", text(...w.spareTokenIds, "not-a-uuid")]],
  },
  {
    kind: "action",
    id: "action createEnvironmentAction",
    name: "createEnvironmentAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: () => [
      ["key", text("fz-env", "production", "Bad Key")],
      ["name", text("Fuzz environment")],
    ],
  },
  {
    kind: "action",
    id: "action createWebhookAction",
    name: "createWebhookAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [
      ["environment", text(...w.environments, "nowhere")],
      ["name", text("#releases")],
      // A closed loopback port: accepted webhooks fail fast and never leave the machine.
      ["url", text("http://127.0.0.1:1/hook", "https://127.0.0.1:1/h?x=1", "ftp://example.com/", "https://u:p@127.0.0.1:1/", "not a url")],
    ],
  },
  {
    kind: "action",
    id: "action setWebhookEnabledAction",
    name: "setWebhookEnabledAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [
      ["webhookId", text(...w.webhookIds, "00000000-0000-4000-8000-000000000000", "not-a-uuid")],
      ["enabled", text("true", "false", "on")],
    ],
  },
  {
    kind: "action",
    id: "action sendTestWebhookAction",
    name: "sendTestWebhookAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [["webhookId", text(...w.webhookIds, "00000000-0000-4000-8000-000000000000", "not-a-uuid")]],
  },
  {
    kind: "action",
    id: "action deleteWebhookAction",
    name: "deleteWebhookAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: (w) => [["webhookId", text(...w.webhookIds, "00000000-0000-4000-8000-000000000000", "not-a-uuid")]],
  },
  {
    kind: "action",
    id: "action changePasswordAction",
    name: "changePasswordAction",
    page: "/account",
    role: "viewer",
    args: "state-form",
    fields: () => [
      ["currentPassword", text("not-my-password")],
      ["newPassword", text("another-password-1")],
      ["confirmPassword", text("another-password-1", "different")],
    ],
  },
];

ACTION_TARGETS.push(
  {
    kind: "action",
    id: "action setGuardrailsAction",
    name: "setGuardrailsAction",
    page: "/flags/{key}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.spareFlagKeys)],
      ["environment", text(...w.environments)],
      ["preset", text("seeds", "none", "all")],
      ["dryRun", text("on", "")],
    ],
  },
  {
    kind: "action",
    id: "action demoSpikeAction",
    name: "demoSpikeAction",
    page: "/admin",
    role: "admin",
    args: "state-form",
    fields: () => [["mode", text("on", "both", "stop", "explode")]],
  },
  {
    kind: "action",
    id: "action killFlagAction",
    name: "killFlagAction",
    page: "/flags/{key}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.spareFlagKeys)],
      ["environment", text(...w.environments, "moon")],
      ["reason", text("errors spiking", "")],
    ],
  },
  {
    kind: "action",
    id: "action restoreFlagAction",
    name: "restoreFlagAction",
    page: "/flags/{key}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.spareFlagKeys)],
      ["environment", text(...w.environments)],
      ["reason", text("fixed", "")],
    ],
  },
  {
    kind: "action",
    id: "action acknowledgeIncidentAction",
    name: "acknowledgeIncidentAction",
    page: "/incidents/{id}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["incidentId", text(...w.rolloutIds)],
      ["version", text("1", "x")],
      ["note", text("on it", "")],
    ],
  },
  {
    kind: "action",
    id: "action triageIncidentAction",
    name: "triageIncidentAction",
    page: "/incidents/{id}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["incidentId", text(...w.rolloutIds)],
      ["version", text("1", "x")],
      ["severity", text("sev1", "sev9")],
      ["assigneeId", text("", ...w.rolloutIds)],
    ],
  },
  {
    kind: "action",
    id: "action addIncidentNoteAction",
    name: "addIncidentNoteAction",
    page: "/incidents/{id}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["incidentId", text(...w.rolloutIds)],
      ["body", text("rolled back", "")],
    ],
  },
  {
    kind: "action",
    id: "action resolveIncidentAction",
    name: "resolveIncidentAction",
    page: "/incidents/{id}",
    role: "oncall",
    args: "state-form",
    fields: (w) => [
      ["incidentId", text(...w.rolloutIds)],
      ["version", text("1", "0")],
      ["summary", text("fixed", "")],
      ["rootCause", text("bad deploy")],
    ],
  },
  {
    kind: "action",
    id: "action createRolloutAction",
    name: "createRolloutAction",
    page: "/flags/{key}/new-rollout",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["flagKey", text(...w.flagKeys)],
      ["environment", text(...w.environments)],
      ["mode", text("playbook", "custom")],
      ["internalAllowlist", text("qa-1\nqa-2", "")],
      ["phaseName", text("10 %", "")],
      ["phasePercent", text("10", "150", "-1", "abc")],
      ["phaseSoakHours", text("24", "1e9", "-3")],
      ["phaseApprovals", text("1", "99")],
      ["phaseMinSuccess", text("95", "200")],
      ["phaseChecklist", text("backup verified", "")],
      ["riskLevel", text("low", "medium", "extreme")],
      ["benefits", text("faster checkout")],
      ["links", text("https://example.com/pr/1", "javascript:alert(1)")],
      ["autoAdvance", text("on", "")],
    ],
  },
  {
    kind: "action",
    id: "action transitionRolloutAction",
    name: "transitionRolloutAction",
    page: "/rollouts/{id}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["action", text("advance", "pause", "resume", "rollback", "explode")],
      ["version", text("1", "2", "0", "NaN")],
      ["reason", text("because", "")],
      ["override", text("on", "")],
    ],
  },
  {
    kind: "action",
    id: "action editRolloutAction",
    name: "editRolloutAction",
    page: "/rollouts/{id}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["version", text("1", "2", "-1")],
      ["phaseName", text("50 %", "")],
      ["phasePercent", text("50", "5", "101")],
      ["phaseSoakHours", text("24", "-1")],
      ["riskLevel", text("low", "bogus")],
      ["links", text("https://example.com", "ftp://x")],
      ["autoAdvance", text("on", "")],
      ["notifyMode", text("all", "chosen", "bogus")],
      ["notifyWebhookIds", text("00000000-0000-4000-8000-000000000000", "not-a-webhook")],
    ],
  },
  {
    kind: "action",
    id: "action tickChecklistAction",
    name: "tickChecklistAction",
    page: "/rollouts/{id}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["phaseIndex", text("0", "1", "-1", "100")],
      ["item", text("backup verified", "nope")],
      ["done", text("on", "")],
    ],
  },
  {
    kind: "action",
    id: "action signApprovalAction",
    name: "signApprovalAction",
    page: "/rollouts/{id}/phases/{index}/approve",
    role: "product_owner",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["phaseIndex", text("0", "1", "3")],
      ["reviewed", text("change", "rollback plan")],
      ["decision", text("approved", "conditional", "rejected", "maybe")],
      ["riskLevel", text("low", "high")],
      ["conditions", text("only at night", "")],
      ["reason", text("no rollback plan", "")],
      ["signature", text("Pat Product", "")],
      ["supersedes", text("00000000-0000-4000-8000-000000000000", "")],
    ],
  },
  {
    kind: "action",
    id: "action requestApprovalAction",
    name: "requestApprovalAction",
    page: "/rollouts/{id}",
    role: "engineer",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["phaseIndex", text("0", "1", "3")],
      ["productOwners", text(...w.spareUserIds, "po@example.com", "")],
      ["note", text("please look at the error rate", "")],
    ],
  },
  {
    kind: "action",
    id: "action commentOnPhaseAction",
    name: "commentOnPhaseAction",
    page: "/rollouts/{id}/phases/{index}/approve",
    role: "product_owner",
    args: "state-form",
    fields: (w) => [
      ["rolloutId", text(...w.rolloutIds)],
      ["phaseIndex", text("0", "1", "3")],
      ["body", text("Why 50 % so soon?", "")],
    ],
  },
);

export const ALL_TARGETS: Target[] = [...HTTP_TARGETS, ...ACTION_TARGETS];

/** Real values for each path parameter name. */
export function paramValues(name: string, w: World): readonly string[] {
  switch (name) {
    case "key":
      return w.flagKeys;
    case "env":
      return w.environments;
    case "id":
      // Rollouts, incidents and segments share the name; a value that names none is a 404 to test too.
      return [...w.rolloutIds, ...w.segmentIds];
    case "index":
      return ["0", "1", "3"];
    default:
      throw new Error(`no values for path parameter {${name}}: add them to paramValues`);
  }
}

export function pathArbitrary(template: string, w: World): fc.Arbitrary<string> {
  const parts = template.split(/(\{[a-z]+\})/i);
  return fc
    .tuple(...parts.map((p) => (/^\{[a-z]+\}$/i.test(p) ? segment(paramValues(p.slice(1, -1), w)) : fc.constant(p))))
    .map((xs) => xs.join(""));
}
