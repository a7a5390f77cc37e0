import type { Db } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { hashPassword } from "../auth/password";
import type { Role } from "../auth/roles";
import { addToDaySample } from "../segments/audience-samples";
import { targetingContextOf } from "../domain/targeting/context";
import { DEMO_AUDIENCE_SIZE, demoSubject } from "./demo-audience";
import { demoHistory } from "./demo-history";
import { DEMO_AB_FLAG, demoVariantHistory } from "./demo-variant-history";

export const DEMO_USERS: { email: string; name: string; roles: Role[] }[] = [
  { email: "admin@rollgate.dev", name: "Ada Admin", roles: ["admin", "viewer"] },
  { email: "engineer@rollgate.dev", name: "Erin Engineer", roles: ["engineer"] },
  { email: "po@rollgate.dev", name: "Priya Product", roles: ["product_owner"] },
  { email: "oncall@rollgate.dev", name: "Omar Oncall", roles: ["oncall"] },
  { email: "viewer@rollgate.dev", name: "Vic Viewer", roles: ["viewer"] },
];

const DEMO_FLAGS = [
  {
    key: "messaging-v2",
    description: "New messaging pipeline (atomic user-behaviour updates)",
    staging: { enabled: true, rolloutPercent: 100 },
    production: { enabled: true, rolloutPercent: 10, allowlist: ["internal-qa-1", "internal-qa-2"] },
  },
  {
    key: "checkout-redesign",
    description: "Single-page checkout",
    staging: { enabled: true, rolloutPercent: 50 },
    production: { enabled: false, rolloutPercent: 0 },
  },
  {
    key: "search-ranking-ml",
    description: "Learning-to-rank search results",
    staging: { enabled: true, rolloutPercent: 100 },
    production: { enabled: true, rolloutPercent: 100 },
  },
  {
    key: "dark-mode",
    description: "Dark theme for the web app",
    staging: { enabled: false, rolloutPercent: 0 },
    production: { enabled: false, rolloutPercent: 0 },
  },
] as const;

const DEMO_PHASES = [
  {
    name: "Internal",
    percent: 0,
    minSoakSeconds: 3600,
    criteria: { minSuccessRate: 0.99, maxP95Ms: 1000, minSamples: 50, windowSeconds: 900 },
    requiredApprovals: 0,
    checklist: ["Backup verified", "Rollback script tested"],
    allowlist: ["internal-qa-1", "internal-qa-2"],
  },
  {
    name: "10%",
    percent: 10,
    minSoakSeconds: 4 * 3600,
    criteria: { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP95Ms: 1000, minSamples: 500, windowSeconds: 1800 },
    requiredApprovals: 1,
    checklist: ["DevOps team notified"],
  },
  {
    name: "50%",
    percent: 50,
    minSoakSeconds: 24 * 3600,
    criteria: { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP95Ms: 1000, minSamples: 5000, windowSeconds: 3600 },
    requiredApprovals: 1,
    checklist: ["Product Owner approval obtained"],
  },
  { name: "100%", percent: 100, minSoakSeconds: 0, criteria: {}, requiredApprovals: 1, checklist: [] },
];

/** Seeds once: does nothing when any person already exists. Returns whether it seeded. */
export async function seedDemo(db: Db, password: string): Promise<boolean> {
  if ((await db.user.count({ where: { isService: false } })) > 0) return false;
  const passwordHash = await hashPassword(password);
  await db.$transaction(
    async (tx) => {
      const actor = { id: null, label: "demo-seed" };
      const users = new Map<string, string>();
      for (const u of DEMO_USERS) {
        const row = await tx.user.create({ data: { ...u, passwordHash } });
        users.set(u.email, row.id);
        await recordAudit(tx, {
          actor,
          action: "user.create",
          target: { type: "user", id: u.email },
          after: { email: u.email, roles: u.roles },
        });
      }
      const engineerId = users.get("engineer@rollgate.dev") ?? null;
      // A segment for the playbook's internal phase to target (issue 25): "everyone at the company".
      const staff = await tx.segment.create({
        data: {
          name: "Rollgate staff",
          description: "Everyone signed in with a company address",
          constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@rollgate.dev"], caseInsensitive: true }],
          createdBy: engineerId,
          updatedBy: engineerId,
        },
      });
      await recordAudit(tx, {
        actor,
        action: "segment.create",
        target: { type: "segment", id: String(staff.id) },
        after: { name: staff.name },
      });
      for (const f of DEMO_FLAGS) {
        const flag = await tx.flag.create({ data: { key: f.key, description: f.description, ownerId: engineerId } });
        await recordAudit(tx, { actor, action: "flag.create", target: { type: "flag", id: f.key }, after: { key: f.key } });
        for (const env of ["staging", "production"] as const) {
          const s = f[env];
          await tx.flagState.update({
            where: { flagId_environmentKey: { flagId: flag.id, environmentKey: env } },
            data: {
              enabled: s.enabled,
              rolloutPercent: s.rolloutPercent,
              allowlist: "allowlist" in s ? [...s.allowlist] : [],
              version: 2,
              updatedBy: engineerId,
            },
          });
          await recordAudit(tx, { actor, action: "flag_state.update", target: { type: "flag_state", id: `${f.key}/${env}` }, after: s });
        }
      }
      // messaging-v2 is mid-rollout in production: internal users done (an hour), soaking at 10 % for two.
      const messaging = await tx.flag.findUniqueOrThrow({ where: { key: "messaging-v2" } });
      const now = new Date();
      await seedStagingHistory(tx, messaging.id, now, engineerId ?? "");
      const startedAt = new Date(now.getTime() - 3 * 60 * 60 * 1000);
      const phaseStartedAt = new Date(now.getTime() - 2 * 60 * 60 * 1000);
      const rollout = await tx.rollout.create({
        data: {
          flagId: messaging.id,
          environmentKey: "production",
          status: "active",
          currentPhase: 1,
          createdAt: startedAt,
          phaseStartedAt,
          requestedBy: engineerId ?? "",
          impact: {
            riskLevel: "medium",
            benefits: "Messages arrive in order and never twice; 40 % fewer database calls per send.",
            risks: "New write path under load; rollback is a flag flip (tested in staging).",
            links: ["https://example.com/design/messaging-v2"],
          },
          stateBefore: { enabled: false, rolloutPercent: 0, allowlist: [] },
          phases: {
            create: DEMO_PHASES.map((p, index) => ({ index, ...p, startedAt: [startedAt, phaseStartedAt][index] ?? null })),
          },
        },
      });
      await recordAudit(tx, {
        actor,
        action: "rollout.create",
        target: { type: "rollout", id: `messaging-v2/production/${rollout.id}` },
        after: { flag: "messaging-v2", environment: "production", phases: DEMO_PHASES.map((p) => p.name) },
      });
      await tx.metricRollup.createMany({
        data: demoHistory(startedAt, phaseStartedAt, DEMO_PHASES[1]!.percent, now).map((r) => ({
          ...r,
          flagId: messaging.id,
          environmentKey: "production",
        })),
      });
      await seedAbTest(tx, engineerId, actor, now);
      // The users production's history came from (the demo traffic's), so phases and segments say
      // whom they reach there with demo traffic off too (the browser tests' server) instead of "no
      // users seen" beside thousands of requests. Staging has no demo traffic, and no users seen.
      const seen = Array.from({ length: DEMO_AUDIENCE_SIZE }, (_, n) => targetingContextOf(demoSubject(n)));
      await addToDaySample(tx, "production", seen, now.getTime());
    },
    { timeout: 30_000 },
  );
  return true;
}

/**
 * The A/B/n flag: on for everyone in production with three variants, and six hours of outcomes per
 * variant, so the flag page's Variants section shows a comparison (and a variant that errs more).
 */
async function seedAbTest(
  tx: Parameters<Parameters<Db["$transaction"]>[0]>[0],
  engineerId: string | null,
  actor: { id: null; label: string },
  now: Date,
) {
  const flag = await tx.flag.create({ data: { key: DEMO_AB_FLAG.key, description: DEMO_AB_FLAG.description, ownerId: engineerId } });
  await recordAudit(tx, { actor, action: "flag.create", target: { type: "flag", id: flag.key }, after: { key: flag.key } });
  const targeting = {
    strategies: [{ rollout: 100, stickiness: "default", groupId: flag.key, constraints: [], segments: [], variants: [] }],
    variants: DEMO_AB_FLAG.variants.map((v) => ({
      name: v.name,
      weight: v.weight,
      weightType: "variable",
      stickiness: "default",
      overrides: [],
    })),
    dependencies: [],
  };
  const after = { enabled: true, rolloutPercent: 0, targeting };
  await tx.flagState.update({
    where: { flagId_environmentKey: { flagId: flag.id, environmentKey: "production" } },
    data: { ...after, version: 2, updatedBy: engineerId, updatedAt: new Date(now.getTime() - 6 * 3600_000) },
  });
  await recordAudit(tx, { actor, action: "flag_state.update", target: { type: "flag_state", id: `${flag.key}/production` }, after });
  await tx.metricVariantRollup.createMany({
    data: demoVariantHistory(now).map((r) => ({ ...r, flagId: flag.id, environmentKey: "production" })),
  });
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * messaging-v2's staging story, which the production approval form shows as its test results: a
 * rollback drill six days ago (10 %, rolled back to off), then a full rollout that reached 100 % four
 * days ago and completed a day later. Staging soaks are short (minutes, not days).
 */
async function seedStagingHistory(tx: Parameters<Parameters<Db["$transaction"]>[0]>[0], flagId: string, now: Date, requestedBy: string) {
  const at = (ms: number) => new Date(now.getTime() - ms);
  const stagingPhases = DEMO_PHASES.map((p, index) => ({ index, ...p, minSoakSeconds: [600, 1800, 3600, 0][index]! }));
  const off = { enabled: false, rolloutPercent: 0, allowlist: [] };
  const drill = await tx.rollout.create({
    data: {
      flagId,
      environmentKey: "staging",
      status: "rolled_back",
      currentPhase: 1,
      createdAt: at(6 * DAY),
      phaseStartedAt: at(6 * DAY - 30 * 60_000),
      endedAt: at(6 * DAY - 2 * HOUR),
      endedReason: "Rollback drill: one step back to off, checked that the old pipeline takes over",
      requestedBy,
      impact: { riskLevel: "low", benefits: "Rehearse the rollback before production." },
      stateBefore: off,
      phases: {
        create: stagingPhases.map((p) => ({ ...p, startedAt: [at(6 * DAY), at(6 * DAY - 30 * 60_000)][p.index] ?? null })),
      },
    },
  });
  const full = [at(5 * DAY), at(5 * DAY - 20 * 60_000), at(5 * DAY - HOUR), at(4 * DAY)];
  const rollout = await tx.rollout.create({
    data: {
      flagId,
      environmentKey: "staging",
      status: "completed",
      currentPhase: 3,
      createdAt: full[0]!,
      phaseStartedAt: full[3]!,
      endedAt: at(3 * DAY),
      requestedBy,
      impact: { riskLevel: "medium", benefits: "Validate the new pipeline under staging load." },
      stateBefore: off,
      phases: { create: stagingPhases.map((p) => ({ ...p, startedAt: full[p.index]! })) },
    },
  });
  for (const r of [drill, rollout]) {
    await recordAudit(tx, {
      actor: { id: null, label: "demo-seed" },
      action: "rollout.create",
      target: { type: "rollout", id: `messaging-v2/staging/${r.id}` },
      after: { flag: "messaging-v2", environment: "staging", phases: stagingPhases.map((p) => p.name), status: r.status },
    });
  }
  // Its 10 % phase's split traffic, so the form can show staging's on vs off.
  await tx.metricRollup.createMany({
    data: demoHistory(full[0]!, full[1]!, 10, full[2]!).map((r) => ({ ...r, flagId, environmentKey: "staging" })),
  });
}

/** Demo accounts that still exist and are active, for the sign-in page's hint (empty with ROLLGATE_DEMO=off). */
export async function activeDemoAccounts(db: Db): Promise<{ email: string; roles: string[] }[]> {
  if (process.env.ROLLGATE_DEMO === "off") return [];
  const users = await db.user.findMany({
    where: { email: { in: DEMO_USERS.map((u) => u.email) }, disabledAt: null },
    select: { email: true, roles: true },
    orderBy: { email: "asc" },
  });
  return users;
}
