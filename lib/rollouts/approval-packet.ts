import type { Tx } from "../db/client";
import { exposureSentence, describePlanChanges, type FlagStateSnapshot, type PlanSnapshot } from "../domain/approval-review";
import type { GuardrailAction, GuardrailMetric } from "../domain/guardrail";
import type { GuardrailDto } from "../guardrails/guardrails";
import { getRolloutComparison } from "../metrics/get-rollout-comparison";
import type { RolloutComparison } from "../metrics/rollout-comparison";
import { ROLLOUT_STEP_KINDS, SAFETY_KINDS, type NotificationKind } from "../notifications/kinds";
import { webhookChoices, type WebhookChoice } from "./communication-plan";
import { earlierEnvironmentResults, type EarlierEnvironment } from "./earlier-environments";
import type { RolloutDto } from "./rollout-view";

/**
 * What a product owner attests to having reviewed (the seeds' Appendix C), loaded for one phase of
 * one rollout: each "I have reviewed" item of the approval form opens its section.
 */
export interface ApprovalPacket {
  change: {
    before: FlagStateSnapshot;
    after: FlagStateSnapshot;
    /**
     * Who is served before and after the phase, in words with the segments' rules: "Staff (email
     * ends with @acme.com)" → "Staff (…) and 10 % of everyone".
     */
    audience: { before: string; after: string };
    /** How many users seen last week each side reaches (lib/rollouts/phase-reach.ts); null when not known. */
    reach: { before: string | null; after: string | null };
    /** Plan edits since the version last approved (by anyone, for any phase); null when none was approved yet. */
    sinceApproved: { planVersion: number; changes: string[] } | null;
  };
  /** The same flag's latest rollout in each environment that comes before this one (staging before production). */
  earlierEnvironments: EarlierEnvironment[];
  rollback: {
    /** The exact state a rollback restores: the flag as it was before the rollout's first phase. */
    restores: FlagStateSnapshot;
    /** Environments (earlier ones) where a rollout of this flag was rolled back: the rollback was exercised there. */
    exercisedIn: string[];
  };
  monitoring: {
    guardrails: Pick<GuardrailDto, "metric" | "threshold" | "windowSeconds" | "minSamples" | "action" | "dryRun">[];
  };
  communication: {
    /** The rollout's communication plan: null = every enabled webhook of the environment. */
    notifyWebhookIds: string[] | null;
    /** Every webhook of the environment; `notified`: this rollout's steps reach it (else it is disabled or left out). */
    webhooks: (WebhookChoice & { notified: boolean })[];
    /** The rollout's steps, posted to the notified webhooks. */
    stepKinds: NotificationKind[];
    /** Kill switch and guardrail notices, posted to every enabled webhook whatever the plan says. */
    safetyKinds: NotificationKind[];
  };
  /** `on` against `off` over this rollout so far (null before any split traffic). */
  evidence: RolloutComparison | null;
}

export async function loadApprovalPacket(db: Tx, rollout: RolloutDto, phaseIndex: number, now = new Date()): Promise<ApprovalPacket> {
  const flag = await db.flag.findUniqueOrThrow({ where: { key: rollout.flagKey }, select: { id: true } });
  const [stored, state, environments, guardrails, webhooks, evidence] = await Promise.all([
    db.rollout.findUniqueOrThrow({ where: { id: rollout.id }, select: { stateBefore: true } }),
    db.flagState.findUnique({ where: { flagId_environmentKey: { flagId: flag.id, environmentKey: rollout.environment } } }),
    db.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { key: "asc" }], select: { key: true, name: true, sortOrder: true } }),
    db.guardrail.findMany({ where: { flagId: flag.id, environmentKey: rollout.environment }, orderBy: { createdAt: "asc" } }),
    webhookChoices(db, rollout.environment),
    getRolloutComparison(db, rollout.id, now).catch(() => null),
  ]);
  const sinceApproved = await planChangesSinceApproved(db, rollout, new Map(webhooks.map((w) => [w.id, w.name])));
  const chosen = rollout.notifyWebhookIds;
  const current: FlagStateSnapshot = state
    ? {
        enabled: state.enabled && !state.killed,
        rolloutPercent: state.rolloutPercent,
        allowlist: state.allowlist,
        rolloutSegments: state.rolloutSegments,
      }
    : { enabled: false, rolloutPercent: 0, allowlist: [] };
  // A draft has not changed the flag yet: its first phase starts from the flag as it is now.
  const restores = (stored.stateBefore as FlagStateSnapshot | null) ?? current;
  const previous = rollout.phases[phaseIndex - 1];
  const phase = rollout.phases[phaseIndex]!;
  const before = previous
    ? { enabled: true, rolloutPercent: previous.percent, allowlist: previous.allowlist, rolloutSegments: previous.segments }
    : restores;
  const after = { enabled: true, rolloutPercent: phase.percent, allowlist: phase.allowlist, rolloutSegments: phase.segments };
  const audience = { before: previous ? previous.audience : exposureSentence(restores), after: phase.audience };

  const earlierEnvironments = await earlierEnvironmentResults(db, flag.id, rollout.environment, environments, now, getRolloutComparison);

  return {
    change: { before, after, audience, reach: { before: previous?.reach ?? null, after: phase.reach ?? null }, sinceApproved },
    earlierEnvironments,
    rollback: {
      restores,
      exercisedIn: earlierEnvironments.filter((e) => e.rollout && e.rollout.rollbacks > 0).map((e) => e.name),
    },
    monitoring: {
      guardrails: guardrails.map((g) => ({
        metric: g.metric as GuardrailMetric,
        threshold: g.threshold,
        windowSeconds: g.windowSeconds,
        minSamples: g.minSamples,
        action: g.action as GuardrailAction,
        dryRun: g.dryRun,
      })),
    },
    communication: {
      notifyWebhookIds: chosen,
      webhooks: webhooks.map((w) => ({ ...w, notified: w.enabled && (chosen === null || chosen.includes(w.id)) })),
      stepKinds: [...ROLLOUT_STEP_KINDS],
      safetyKinds: [...SAFETY_KINDS],
    },
    evidence: evidence && evidence.errors.minutes > 0 ? evidence : null,
  };
}

/** The plan as it was when it was last approved, against the plan now. */
async function planChangesSinceApproved(
  db: Tx,
  rollout: RolloutDto,
  webhookNames: ReadonlyMap<string, string>,
): Promise<ApprovalPacket["change"]["sinceApproved"]> {
  const approvedVersions = rollout.approvals.filter((a) => a.decision !== "rejected").map((a) => a.planVersion);
  if (approvedVersions.length === 0) return null;
  const approved = Math.max(...approvedVersions);
  if (approved >= rollout.planVersion) return { planVersion: approved, changes: [] };
  // The edit that moved the plan away from the approved version kept it as its `before`.
  const edits = await db.auditLog.findMany({
    where: { action: "rollout.edit", targetId: `${rollout.flagKey}/${rollout.environment}/${rollout.id}` },
    orderBy: { id: "asc" },
    select: { before: true },
  });
  const then = edits.map((e) => e.before as (PlanSnapshot & { planVersion: number }) | null).find((b) => b?.planVersion === approved);
  if (!then) return { planVersion: approved, changes: ["the approved version is not in the audit log"] };
  return {
    planVersion: approved,
    changes: describePlanChanges(
      then,
      { phases: rollout.phases, impact: rollout.impact, notifyWebhookIds: rollout.notifyWebhookIds },
      webhookNames,
    ),
  };
}
