import type { Db, Tx } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { planProblems, templatePlan, type PhasePlan } from "../domain/rollout";
import { sqlStateOf } from "../db/db-errors";
import type { CreateRolloutInput, PhaseInput } from "./rollout-schemas";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { notifyApprovalRequested } from "./rollout-notifications";
import { requirePermission } from "../auth/permissions";
import { lockSegments } from "../segments/lock-segments";
import { assertEnvironmentWebhooks, normalizeRecipients } from "./communication-plan";

export function toPhasePlan(p: PhaseInput): PhasePlan {
  return {
    ...p,
    allowlist: [...new Set(p.allowlist)],
    segments: [...new Set(p.segments)],
    notBefore: p.notBefore ? new Date(p.notBefore) : null,
  };
}

/**
 * Every segment a phase names must exist: 422 naming the phase's field otherwise. Read with FOR KEY
 * SHARE, so a segment cannot be deleted between this check and the commit that refers to it.
 */
export async function assertPhaseSegments(tx: Tx, phases: readonly PhasePlan[], firstIndex = 0): Promise<void> {
  const known = await lockSegments(
    tx,
    phases.flatMap((p) => p.segments ?? []),
  );
  const problems: Record<string, string> = {};
  phases.forEach((p, i) => {
    const missing = (p.segments ?? []).filter((id) => !known.has(id));
    if (missing.length) problems[`phases.${firstIndex + i}.segments`] = `no segment with id ${missing.join(", ")}`;
  });
  if (Object.keys(problems).length) throw new AppError("UNPROCESSABLE", "The plan names segments that do not exist", { fields: problems });
}

/** A plan's phase as stored (a rollout_phases row without its rollout), at its index in the plan. */
export function phaseRow(p: PhasePlan, index: number) {
  return {
    index,
    name: p.name,
    percent: p.percent,
    minSoakSeconds: p.minSoakSeconds,
    criteria: p.criteria as object,
    requiredApprovals: p.requiredApprovals,
    checklist: p.checklist,
    allowlist: p.allowlist,
    segments: p.segments ?? [],
    notBefore: p.notBefore ?? null,
  };
}

/** Checks a plan and answers field errors (400) naming the phase and field. */
export function assertValidPlan(phases: PhasePlan[]): void {
  const problems = planProblems(phases);
  if (Object.keys(problems).length) throw validationFailed(problems, "The rollout plan is invalid");
}

/**
 * The playbook's phases are fixed but for the internal users it is given, so its one possible problem
 * (an internal phase at 0 % with nobody in it) is named on the fields that set them: the request and
 * the form have no `phases.0.percent` to show it on.
 */
function assertValidPlaybook(phases: PhasePlan[]): void {
  const problems = planProblems(phases);
  if (!Object.keys(problems).length) return;
  const { "phases.0.percent": internal, ...rest } = problems;
  const fields = internal
    ? { internalAllowlist: "add the internal users' targeting keys or a segment: the first phase serves only them", ...rest }
    : rest;
  throw validationFailed(fields, internal ? "The playbook needs internal users" : "The rollout plan is invalid");
}

const liveConflict = (flagKey: string, environment: string) =>
  new AppError("CONFLICT", `'${flagKey}' already has a live rollout in ${environment}; finish or roll it back first`, {
    fields: { flagKey: `already has a live rollout in ${environment}` },
  });

/**
 * A new plan starts as a draft (phase -1): nothing changes for users until the first advance. One
 * live rollout per flag and environment, enforced by a partial unique index.
 */
export async function createRollout(db: Db, principal: Principal | null, input: CreateRolloutInput): Promise<RolloutDto> {
  const user = requirePermission(principal, "rollout.create");
  if (!input.phases && !input.template) throw validationFailed({ phases: "add phases, or choose the playbook template" });
  const phases = input.phases
    ? input.phases.map(toPhasePlan)
    : templatePlan(input.internalAllowlist ?? [], input.environment, [...new Set(input.internalSegments ?? [])]);
  if (input.phases) assertValidPlan(phases);
  else assertValidPlaybook(phases);
  try {
    return await db.$transaction(
      async (tx) => {
        // Level 1 of lib/db/lock-order.ts: an archive (FOR UPDATE) in progress finishes first and is
        // seen here, and none starts until this rollout exists for it to refuse on.
        const [flag] = await tx.$queryRaw<{ id: string; archivedAt: Date | null }[]>`
          SELECT id, archived_at AS "archivedAt" FROM flags WHERE key = ${input.flagKey} FOR KEY SHARE`;
        if (!flag || flag.archivedAt) throw validationFailed({ flagKey: "no such flag" }, `Flag '${input.flagKey}' not found`);
        const env = await tx.environment.findUnique({ where: { key: input.environment } });
        if (!env) throw validationFailed({ environment: "no such environment" }, `Environment '${input.environment}' not found`);
        const live = await tx.rollout.count({
          where: { flagId: flag.id, environmentKey: input.environment, status: { in: ["draft", "active", "paused"] } },
        });
        if (live > 0) throw liveConflict(input.flagKey, input.environment);
        await assertPhaseSegments(tx, phases);
        const recipients = input.notifyWebhookIds === undefined ? null : normalizeRecipients(input.notifyWebhookIds);
        await assertEnvironmentWebhooks(tx, input.environment, recipients);
        const rollout = await tx.rollout.create({
          data: {
            flagId: flag.id,
            environmentKey: input.environment,
            requestedBy: user.userId,
            impact: input.impact ?? {},
            autoAdvance: input.autoAdvance,
            ...(input.requireEarlier ? { requireEarlier: input.requireEarlier } : {}),
            ...(recipients ? { notifyAllWebhooks: false, notifyWebhookIds: recipients } : {}),
            phases: {
              create: phases.map((p, index) => phaseRow(p, index)),
            },
          },
        });
        const view = await loadRollout(tx, rollout.id);
        await recordAudit(tx, {
          actor: { id: user.userId, label: actorLabel(user) },
          action: "rollout.create",
          target: { type: "rollout", id: `${input.flagKey}/${input.environment}/${rollout.id}` },
          after: {
            phases: view.phases.map((p) => ({ ...p, ticked: undefined })),
            impact: view.impact,
            autoAdvance: view.autoAdvance,
            requireEarlier: view.requireEarlier,
            notifyWebhookIds: view.notifyWebhookIds,
          },
        });
        await notifyApprovalRequested(tx, view);
        return view;
      },
      { timeout: 20_000, maxWait: 20_000 },
    );
  } catch (err) {
    // Two creators racing past the count above: the partial unique index decides.
    if (sqlStateOf(err) === "23505") throw liveConflict(input.flagKey, input.environment);
    throw err;
  }
}
