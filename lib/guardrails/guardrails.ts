import type { Db } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, requireUser, type Principal } from "../auth/principal";
import { FLAG_KEY_PATTERN } from "../flags/flag-schemas";
import type { GuardrailAction, GuardrailMetric, Verdict } from "../domain/guardrail";
import type { EvidenceTest, EvidenceVerdict } from "../domain/guardrail-evidence";
import type { SetGuardrailsInput } from "./guardrail-schemas";
import { requirePermission } from "../auth/permissions";
import { lockFlagForChange } from "../db/lock-order";

export interface GuardrailDto {
  id: string;
  metric: GuardrailMetric;
  threshold: number;
  windowSeconds: number;
  minSamples: number;
  action: GuardrailAction;
  dryRun: boolean;
  breachedSince: string | null;
  lastVerdict: (Verdict & { at: string; acted?: string }) | null;
}

async function flagId(db: Db, flagKey: string, environment: string): Promise<string> {
  if (!FLAG_KEY_PATTERN.test(flagKey)) throw notFound(`Flag '${flagKey}'`);
  const flag = await db.flag.findUnique({ where: { key: flagKey }, select: { id: true, archivedAt: true } });
  if (!flag || flag.archivedAt) throw notFound(`Flag '${flagKey}'`);
  if (!(await db.environment.findUnique({ where: { key: environment } }))) throw notFound(`Environment '${environment}'`);
  return flag.id;
}

export async function listGuardrails(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
): Promise<GuardrailDto[]> {
  requireUser(principal);
  const id = await flagId(db, target.flagKey, target.environment);
  const rows = await db.guardrail.findMany({ where: { flagId: id, environmentKey: target.environment }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => ({
    id: r.id,
    metric: r.metric as GuardrailMetric,
    threshold: r.threshold,
    windowSeconds: r.windowSeconds,
    minSamples: r.minSamples,
    action: r.action as GuardrailAction,
    dryRun: r.dryRun,
    breachedSince: r.breachedSince?.toISOString() ?? null,
    lastVerdict: r.lastVerdict as GuardrailDto["lastVerdict"],
  }));
}

/** Replaces a flag's guardrails in one environment (engineers, on-call, admins), audited. */
export async function setGuardrails(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
  input: SetGuardrailsInput,
): Promise<GuardrailDto[]> {
  const user = requirePermission(principal, "guardrails.update");
  await db.$transaction(async (tx) => {
    // The flag's state row, locked (lib/db/lock-order.ts levels 1–3): two replacements at once queue
    // here instead of each deleting what it sees and both sets staying; an unknown or archived flag,
    // or an unknown environment, is the same 404 as before the lock.
    const id = (await lockFlagForChange(tx, target)).flag.id;
    const before = await tx.guardrail.findMany({ where: { flagId: id, environmentKey: target.environment } });
    await tx.guardrail.deleteMany({ where: { flagId: id, environmentKey: target.environment } });
    await tx.guardrail.createMany({
      data: input.guardrails.map((g) => ({
        ...g,
        flagId: id,
        environmentKey: target.environment,
        dryRun: input.dryRun,
        createdBy: user.userId,
      })),
    });
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "guardrails.set",
      target: { type: "flag_state", id: `${target.flagKey}/${target.environment}` },
      before: before.map((g) => ({
        metric: g.metric,
        threshold: g.threshold,
        windowSeconds: g.windowSeconds,
        minSamples: g.minSamples,
        action: g.action,
        dryRun: g.dryRun,
      })),
      after: input.guardrails.map((g) => ({ ...g, dryRun: input.dryRun })),
    });
  });
  return listGuardrails(db, principal, target);
}

/** One comparative test's last look, as the dashboard and the API show it. */
export interface ComparisonTestDto {
  test: EvidenceTest | "sample_ratio";
  verdict: EvidenceVerdict["verdict"];
  explanation: string;
  /** What its alarm did, once it did. */
  acted: string | null;
}

export interface ComparisonDto {
  /** Evidence counts SPLIT traffic from this minute on (the rollout's start, or the hand-set split's). */
  since: string;
  rolloutId: string | null;
  updatedAt: string;
  tests: ComparisonTestDto[];
}

const TEST_ORDER: ComparisonTestDto["test"][] = ["errors", "latency_relative", "latency_absolute", "sample_ratio"];

/**
 * `on` against `off` for a flag split by percentage with guardrails (lib/guardrails/compare-arms.ts),
 * as of the worker's last look; null when the flag is not split or no look has happened yet.
 */
export async function getComparison(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
): Promise<ComparisonDto | null> {
  requireUser(principal);
  const id = await flagId(db, target.flagKey, target.environment);
  const row = await db.splitEvidence.findUnique({ where: { flagId_environmentKey: { flagId: id, environmentKey: target.environment } } });
  if (!row) return null;
  const verdicts = row.verdicts as Partial<Record<ComparisonTestDto["test"], Pick<EvidenceVerdict, "verdict" | "explanation">>>;
  const acted = row.acted as Partial<Record<ComparisonTestDto["test"], string>>;
  const tests = TEST_ORDER.filter((t) => verdicts[t]).map((t) => ({
    test: t,
    verdict: verdicts[t]!.verdict,
    explanation: verdicts[t]!.explanation,
    acted: acted[t] ?? null,
  }));
  if (tests.length === 0) return null;
  return { since: row.since.toISOString(), rolloutId: row.rolloutId, updatedAt: row.updatedAt.toISOString(), tests };
}
