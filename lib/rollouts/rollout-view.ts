import { earlierEnvironmentResults } from "./earlier-environments";
import { promotionEvidenceOf, storedVerdicts } from "./promotion-evidence";
import { planEditorRows } from "./plan-editors";
import { windowMetricsOf, type AttributedWindowMetrics } from "./window-metrics";
import type { Db, Tx } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { notFound } from "../errors";
import {
  DEFAULT_WINDOW_SECONDS,
  evaluateGates,
  type ApprovalView,
  type Gate,
  type PhasePlan,
  type PromotionEvidence,
  type RolloutStatus,
  type SuccessCriteria,
} from "../domain/rollout";
import type { FlagExposure } from "../domain/flag-exposure";
import { describeAudience } from "../domain/rollout-audience";
import { groupBy } from "../domain/group-by";
import type { Segment } from "../domain/targeting/model";

/** The segments a rollout's phases name, by id, as the audience sentences need them. */
export async function phaseSegments(tx: Tx | Db, phases: readonly { segments: number[] }[]): Promise<Record<string, Segment>> {
  const ids = [...new Set(phases.flatMap((p) => p.segments))];
  if (ids.length === 0) return {};
  const rows = await tx.segment.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, constraints: true } });
  return Object.fromEntries(
    rows.map((s) => [String(s.id), { id: s.id, name: s.name, constraints: s.constraints as unknown as Segment["constraints"] }]),
  );
}

/** docs/API.md `Phase`, plus what the dashboard shows. */
export interface PhaseDto {
  index: number;
  name: string;
  percent: number;
  minSoakSeconds: number;
  criteria: SuccessCriteria;
  requiredApprovals: number;
  checklist: string[];
  allowlist: string[];
  /** Segment ids the phase serves besides its allowlist and percentage. */
  segments: number[];
  /** Who the phase serves, in words: "Staff (email ends with @acme.com) and 10 % of everyone". */
  audience: string;
  /**
   * How many of the users seen in the environment last week the phase serves: "≈ 120 of ≈ 9,800
   * users seen last week" (lib/rollouts/phase-reach.ts). Only in the views that show it.
   */
  reach?: string;
  notBefore: string | null;
  /** When the phase started (null: not yet). */
  startedAt: string | null;
  /** Checklist items ticked for this phase, with who and when. */
  ticked: { item: string; by: string; at: string }[];
}

export interface ApprovalDto {
  id: string;
  phaseIndex: number;
  planVersion: number;
  signer: { id: string; name: string };
  decision: "approved" | "conditional" | "rejected";
  riskLevel: string;
  reviewed: string[];
  conditions: string | null;
  /** A conditional approval's time conditions, held by the gate `conditions`. */
  notBefore: string | null;
  officeHoursTimeZone: string | null;
  reason: string | null;
  signature: string;
  signedAt: string;
  contentHash: string;
  metricsSnapshot: unknown;
  /** "live", "void" (signed on an older plan version, for a phase not yet started) or "superseded" (by a newer form of the signer). */
  state: "live" | "void" | "superseded";
  supersededBy: string | null;
}

/** docs/API.md `Rollout`. */
export interface RolloutDto {
  id: string;
  flagKey: string;
  environment: string;
  status: RolloutStatus;
  currentPhase: number;
  phases: PhaseDto[];
  version: number;
  planVersion: number;
  requestedBy: string;
  requester: { id: string; name: string; email: string };
  lastEditedBy: string | null;
  /** Every user who changed the plan (phases or impact) in any version: none of them may approve it. */
  planEditors: string[];
  autoAdvance: boolean;
  /** The environment before this one must be "completed, ≥ hoursAtFull h at 100 %, no incident" (gate `earlier environment`). */
  requireEarlier: { hoursAtFull: number } | null;
  /**
   * The communication plan: the webhooks of the environment that hear of this rollout's steps; null
   * means every enabled one. Kill and guardrail notices go to every enabled webhook regardless.
   */
  notifyWebhookIds: string[] | null;
  /** The flag state a roll back restores (from before the rollout started); null for a draft. */
  rollbackTo: FlagStateSnapshot | null;
  impact: Record<string, unknown>;
  phaseStartedAt: string | null;
  /** Seconds in the current phase as of the read (what the soak gate measures). */
  phaseElapsedSeconds: number;
  createdAt: string;
  updatedAt: string;
  endedReason: string | null;
  endedAt: string | null;
  /** Admin advances past red gates, and hand changes of the flag made with an override while the rollout was live. */
  overrides: RolloutOverride[];
  approvals: ApprovalDto[];
  /** Metrics of the current phase's window, as the gates read them (held-out tokens' reports left out). */
  metrics: AttributedWindowMetrics & { windowSeconds: number };
  gates: Gate[];
}

type FlagStateSnapshot = FlagExposure;

export type RolloutOverride =
  | { kind?: "advance"; at: string; by: string; reason: string; gates: Gate[] }
  | { kind: "manual_change"; at: string; by: string; reason: string; before: FlagStateSnapshot; after: FlagStateSnapshot; paused: boolean };

const include = {
  flag: { select: { key: true } },
  phases: { orderBy: { index: "asc" as const } },
} satisfies Prisma.RolloutInclude;

/** A rollout as `rolloutViews` reads it: `findMany({ include: rolloutInclude })`. */
export const rolloutInclude = include;
type RolloutRow = Prisma.RolloutGetPayload<{ include: typeof include }>;

/** Reads a rollout with its phases and computes its gates as of `now`. */
export async function loadRollout(tx: Tx, id: string, now = new Date()): Promise<RolloutDto> {
  const row = await tx.rollout.findUnique({ where: { id }, include });
  if (!row) throw notFound(`Rollout '${id}'`);
  return (await rolloutViews(tx, [row], now))[0]!;
}

/** What a rollout's view reads besides its row, read once for a whole list (lib/rollouts/list-rollouts.ts). */
interface Related {
  requesters: Map<string, { id: string; name: string; email: string }>;
  approvals: Map<string, Prisma.ApprovalGetPayload<object>[]>;
  ticks: Map<string, Prisma.ChecklistTickGetPayload<object>[]>;
  tickers: Map<string, string>;
  /** Unresolved incidents by `flagId/environment`. */
  openIncidents: Map<string, number>;
  editors: Map<string, string[]>;
  segments: Record<string, Segment>;
  webhookIds: Set<string>;
  /** The current phase's window (lib/rollouts/window-metrics.ts) by rollout id, for rollouts past their draft. */
  metrics: Map<string, AttributedWindowMetrics>;
  /** The promotion gate's evidence (lib/rollouts/promotion-evidence.ts) by rollout id, for rollouts whose current phase splits. */
  evidence: Map<string, PromotionEvidence>;
}

/**
 * The views of many rollouts, in the order given. What every view needs (requesters, approvals,
 * checklist ticks, open incidents, plan editors, segments, webhooks, the current phase's window, the
 * stored verdicts and the promotion gate's sums) is read in one query each for all of them: a list of
 * 50 live rollouts is a dozen queries, where reading each on its own was nine apiece.
 */
export async function rolloutViews(tx: Tx, rows: readonly RolloutRow[], now = new Date()): Promise<RolloutDto[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const webhookIds = [...new Set(rows.flatMap((r) => (r.notifyAllWebhooks ? [] : r.notifyWebhookIds)))];
  const started = rows.filter((r) => r.currentPhase >= 0);
  const [requesters, approvals, ticks, incidents, editors, segments, webhooks, metrics, verdicts] = await Promise.all([
    tx.user.findMany({
      where: { id: { in: [...new Set(rows.map((r) => r.requestedBy))] } },
      select: { id: true, name: true, email: true },
    }),
    tx.approval.findMany({ where: { rolloutId: { in: ids } }, orderBy: [{ signedAt: "asc" }, { id: "asc" }] }),
    tx.checklistTick.findMany({ where: { rolloutId: { in: ids } } }),
    tx.incident.groupBy({
      by: ["flagId", "environmentKey"],
      where: { flagId: { in: [...new Set(rows.map((r) => r.flagId))] }, status: { not: "resolved" } },
      _count: { _all: true },
    }),
    planEditorsOf(tx, rows),
    phaseSegments(
      tx,
      rows.flatMap((r) => r.phases),
    ),
    webhookIds.length ? tx.webhook.findMany({ where: { id: { in: webhookIds } }, select: { id: true } }) : [],
    windowMetricsOf(
      tx,
      started.map((r) => {
        const current = r.phases[r.currentPhase];
        return {
          flagId: r.flagId,
          environment: r.environmentKey,
          phase: r.currentPhase,
          windowSeconds: windowSecondsOf(current),
          expectedOnShare: (current?.percent ?? 0) / 100,
        };
      }),
      now,
    ),
    storedVerdicts(
      tx,
      started.map((r) => r.flagId),
    ),
  ]);
  const windows = new Map(started.map((r, i) => [r.id, metrics[i]!]));
  // The promotion gate compares the arms of a phase that splits traffic, without the tokens held out above.
  const splitting = started.filter((r) => {
    const percent = r.phases[r.currentPhase]?.percent ?? 0;
    return percent > 0 && percent < 100;
  });
  // Most rollouts have no ticks: then no round trip.
  const tickerIds = [...new Set(ticks.map((t) => t.tickedBy))];
  const [tickers, evidence] = await Promise.all([
    tickerIds.length ? tx.user.findMany({ where: { id: { in: tickerIds } }, select: { id: true, name: true } }) : [],
    promotionEvidenceOf(
      tx,
      splitting.map((r) => ({
        rollout: r,
        heldOutTokenIds: windows.get(r.id)!.heldOut.map((h) => h.tokenId),
        stored: verdicts.get(`${r.flagId}/${r.environmentKey}`),
      })),
    ),
  ]);
  const related: Related = {
    requesters: new Map(requesters.map((u) => [u.id, u])),
    approvals: groupBy(approvals, (a) => a.rolloutId),
    ticks: groupBy(ticks, (t) => t.rolloutId),
    tickers: new Map(tickers.map((u) => [u.id, u.name])),
    openIncidents: new Map(incidents.map((i) => [`${i.flagId}/${i.environmentKey}`, i._count._all])),
    editors,
    segments,
    webhookIds: new Set(webhooks.map((w) => w.id)),
    metrics: windows,
    evidence: new Map(splitting.map((r, i) => [r.id, evidence[i]!])),
  };
  return Promise.all(rows.map((row) => rolloutView(tx, row, related, now)));
}

/** Everyone who changed each rollout's plan (lib/rollouts/plan-editors.ts), by rollout id. */
async function planEditorsOf(tx: Tx, rows: readonly RolloutRow[]): Promise<Map<string, string[]>> {
  const targets = new Map(rows.map((r) => [`${r.flag.key}/${r.environmentKey}/${r.id}`, r.id]));
  const found = await planEditorRows(tx, [...targets.keys()]);
  const editors = new Map<string, string[]>(rows.map((r) => [r.id, []]));
  for (const { target, id } of found) editors.get(targets.get(target)!)?.push(id);
  return editors;
}

async function rolloutView(tx: Tx, row: RolloutRow, related: Related, now: Date): Promise<RolloutDto> {
  const id = row.id;
  const requester = related.requesters.get(row.requestedBy);
  if (!requester) throw new Error(`Rollout '${id}' names a requester that does not exist`);
  const ticks = related.ticks.get(id) ?? [];
  const approvalRows = related.approvals.get(id) ?? [];
  const incidents = related.openIncidents.get(`${row.flagId}/${row.environmentKey}`) ?? 0;
  const editors = related.editors.get(id) ?? [];
  const phases: PhaseDto[] = row.phases.map((p) => ({
    index: p.index,
    name: p.name,
    percent: p.percent,
    minSoakSeconds: p.minSoakSeconds,
    criteria: p.criteria as SuccessCriteria,
    requiredApprovals: p.requiredApprovals,
    checklist: p.checklist,
    allowlist: p.allowlist,
    segments: p.segments,
    audience: describeAudience(p, related.segments),
    notBefore: p.notBefore?.toISOString() ?? null,
    startedAt: p.startedAt?.toISOString() ?? null,
    ticked: ticks
      .filter((t) => t.phaseIndex === p.index && p.checklist.includes(t.item))
      .map((t) => ({ item: t.item, by: related.tickers.get(t.tickedBy) ?? "someone", at: t.tickedAt.toISOString() })),
  }));
  const approvals: ApprovalDto[] = approvalRows.map((a) => ({
    id: a.id,
    phaseIndex: a.phaseIndex,
    planVersion: a.planVersion,
    signer: { id: a.signerId, name: a.signerName },
    decision: a.decision as ApprovalDto["decision"],
    riskLevel: a.riskLevel,
    reviewed: a.reviewed,
    conditions: a.conditions,
    notBefore: a.notBefore?.toISOString() ?? null,
    officeHoursTimeZone: a.officeHoursTimeZone,
    reason: a.reason,
    signature: a.signature,
    signedAt: a.signedAt.toISOString(),
    contentHash: a.contentHash,
    metricsSnapshot: a.metricsSnapshot,
    // An edit voids forms for phases still to come; a form whose phase has started did its job.
    state: a.supersededBy ? "superseded" : a.planVersion !== row.planVersion && a.phaseIndex > row.currentPhase ? "void" : "live",
    supersededBy: a.supersededBy,
  }));
  const current = row.currentPhase >= 0 ? row.phases[row.currentPhase] : undefined;
  const windowSeconds = windowSecondsOf(current);
  const metrics = related.metrics.get(id) ?? emptyMetrics;
  const evidence = related.evidence.get(id) ?? null;
  const requireEarlier = (row.requireEarlier as { hoursAtFull: number } | null) ?? null;
  // A webhook deleted since the plan named it receives nothing: leave it out, so saving the plan
  // unchanged is not a change.
  const notifyWebhookIds = row.notifyAllWebhooks
    ? null
    : [...new Set(row.notifyWebhookIds.filter((w) => related.webhookIds.has(w)))].sort();
  const nearest = requireEarlier ? (await earlierEnvironmentResults(tx, row.flagId, row.environmentKey, undefined, now)).at(-1) : undefined;
  const nextIndex = row.currentPhase + 1;
  const plans: PhasePlan[] = phases.map((p) => ({ ...p, notBefore: p.notBefore ? new Date(p.notBefore) : null }));
  const gates = evaluateGates({
    status: row.status as RolloutStatus,
    phases: plans,
    currentPhase: row.currentPhase,
    phaseStartedAt: row.phaseStartedAt,
    now,
    metrics,
    approvals: approvals
      .filter((a) => a.phaseIndex === nextIndex)
      .map<ApprovalView>((a) => ({
        signerName: a.signer.name,
        decision: a.decision,
        reason: a.reason,
        conditions: a.conditions,
        notBefore: a.notBefore ? new Date(a.notBefore) : null,
        officeHoursTimeZone: a.officeHoursTimeZone,
        void: a.state === "void",
        superseded: a.state === "superseded",
      })),
    ticked: new Set(phases[nextIndex]?.ticked.map((t) => t.item) ?? []),
    openIncidents: incidents,
    evidence,
    earlier: requireEarlier
      ? {
          hoursAtFull: requireEarlier.hoursAtFull,
          environment: nearest?.name ?? null,
          rollout: nearest?.rollout
            ? { status: nearest.rollout.status, secondsAtFull: nearest.rollout.secondsAtFull, incidents: nearest.rollout.incidents }
            : null,
        }
      : null,
  });
  // Informational (green): the held-out token's reports are already out of the numbers above, and a
  // red gate here would let one token stall every rollout it reports for.
  for (const h of metrics.heldOut) gates.push({ name: "telemetry", ok: true, reason: h.reason });
  return {
    id: row.id,
    flagKey: row.flag.key,
    environment: row.environmentKey,
    status: row.status as RolloutStatus,
    currentPhase: row.currentPhase,
    phases,
    version: row.version,
    planVersion: row.planVersion,
    requestedBy: row.requestedBy,
    requester,
    lastEditedBy: row.lastEditedBy,
    // The latest editor too, should their audit entry be filed under another target name.
    planEditors: row.lastEditedBy && !editors.includes(row.lastEditedBy) ? [...editors, row.lastEditedBy] : editors,
    autoAdvance: row.autoAdvance,
    requireEarlier,
    notifyWebhookIds,
    rollbackTo: (row.stateBefore as FlagStateSnapshot | null) ?? null,
    impact: row.impact as Record<string, unknown>,
    phaseStartedAt: row.phaseStartedAt?.toISOString() ?? null,
    phaseElapsedSeconds: row.phaseStartedAt ? Math.max(0, Math.floor((now.getTime() - row.phaseStartedAt.getTime()) / 1000)) : 0,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    endedReason: row.endedReason,
    endedAt: row.endedAt?.toISOString() ?? null,
    overrides: row.overrides as unknown as RolloutDto["overrides"],
    approvals,
    // withoutEach feeds the gates only; the gates' sentences name a token that decides one.
    metrics: { requests: metrics.requests, errors: metrics.errors, p95Ms: metrics.p95Ms, heldOut: metrics.heldOut, windowSeconds },
    gates,
  };
}

/** The window the current phase's criteria judge (their `windowSeconds`, or the default). */
function windowSecondsOf(phase: { criteria: unknown } | undefined): number {
  return ((phase?.criteria ?? {}) as SuccessCriteria).windowSeconds ?? DEFAULT_WINDOW_SECONDS;
}

const emptyMetrics: AttributedWindowMetrics = { requests: 0, errors: 0, p95Ms: null, heldOut: [] };
