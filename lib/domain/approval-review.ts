import type { FlagExposure } from "./flag-exposure";

/**
 * Pure pieces of the approval form's review sections (lib/rollouts/approval-packet.ts): how long a
 * rollout held each exposure, what a plan edit changed, and a flag state in words.
 */

/** A flag's state as the rollout changed it: the same shape the roll back and the audit entries use. */
export type FlagStateSnapshot = FlagExposure;

/**
 * A flag state as a sentence for the approval form: "off", "on for 3 allowlisted keys", "on for 10 %",
 * "on for 10 %, 2 allowlisted keys and 1 segment". (flag-exposure.ts's describeExposure is the terse
 * "10 % + 2 allowlisted keys" of audit entries and the roll back dialog.)
 */
export function exposureSentence(s: FlagStateSnapshot): string {
  if (!s.enabled) return "off";
  const segments = s.rolloutSegments?.length ?? 0;
  const parts = s.rolloutPercent > 0 ? [`${s.rolloutPercent} %`] : [];
  if (s.allowlist.length || (s.rolloutPercent === 0 && segments === 0))
    parts.push(`${s.allowlist.length} allowlisted key${s.allowlist.length === 1 ? "" : "s"}`);
  if (segments) parts.push(`${segments} segment${segments === 1 ? "" : "s"}`);
  return `on for ${parts.slice(0, -1).join(", ")}${parts.length > 1 ? " and " : ""}${parts.at(-1)}`;
}

/** One change of the flag by the rollout (or its end), oldest first. */
export interface ExposureChange {
  at: number;
  state: FlagStateSnapshot;
}

export interface ExposureSpan {
  /** exposureSentence of the state held. */
  exposure: string;
  percent: number;
  enabled: boolean;
  seconds: number;
}

/**
 * Seconds spent at each exposure, in the order first reached, from the flag changes a rollout made
 * until `end` (the time it left the last state: now while it still holds it).
 */
export function timeAtEachExposure(changes: readonly ExposureChange[], end: number): ExposureSpan[] {
  const spans: ExposureSpan[] = [];
  changes.forEach((c, i) => {
    const until = i + 1 < changes.length ? changes[i + 1]!.at : end;
    const exposure = exposureSentence(c.state);
    const seconds = Math.max(0, (until - c.at) / 1000);
    const same = spans.find((s) => s.exposure === exposure);
    if (same) same.seconds += seconds;
    else spans.push({ exposure, percent: c.state.rolloutPercent, enabled: c.state.enabled, seconds });
  });
  return spans;
}

export interface PlannedPhase {
  name: string;
  percent: number;
  minSoakSeconds: number;
  requiredApprovals: number;
  criteria: object;
  checklist: readonly string[];
  allowlist: readonly string[];
  /** Segment ids, and the phase's audience in words (absent in plans recorded before segments). */
  segments?: readonly number[];
  audience?: string;
  notBefore?: string | null;
}

export interface PlanSnapshot {
  phases: readonly PlannedPhase[];
  impact: Record<string, unknown>;
  /** The communication plan: null (or absent, in plans recorded before it existed) = every enabled webhook. */
  notifyWebhookIds?: readonly string[] | null;
}

/** A communication plan in words: "every enabled webhook", "no webhook", "“Team channel” and “Pager”". */
export function describeRecipients(ids: readonly string[] | null | undefined, names: ReadonlyMap<string, string>): string {
  if (ids == null) return "every enabled webhook";
  if (ids.length === 0) return "no webhook";
  const named = ids.map((id) => (names.has(id) ? `“${names.get(id)}”` : "a deleted webhook")).sort();
  return named.length === 1 ? named[0]! : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
}

const seconds = (s: number) =>
  s % 86_400 === 0 ? `${s / 86_400} d` : s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const criteriaText = (c: object) =>
  Object.keys(c).length
    ? Object.entries(c)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(", ")
    : "none";

/** A phase's audience in words without its closing "and N % of everyone" (lib/domain/rollout-audience.ts). */
const withoutShare = (p: PlannedPhase) => (p.audience ?? "").replace(new RegExp(`(?:,? and )?\\b${p.percent} % of everyone$`), "");

/**
 * What changed between two versions of a plan, one sentence per change (empty when nothing did).
 * `webhookNames` (id → name) names the webhooks of a changed communication plan.
 */
export function describePlanChanges(
  before: PlanSnapshot,
  after: PlanSnapshot,
  webhookNames: ReadonlyMap<string, string> = new Map(),
): string[] {
  const out: string[] = [];
  const count = Math.max(before.phases.length, after.phases.length);
  for (let i = 0; i < count; i++) {
    const a = before.phases[i];
    const b = after.phases[i];
    if (!a) {
      out.push(`Phase ${i + 1} “${b!.name}” added (${b!.percent} %)`);
      continue;
    }
    if (!b) {
      out.push(`Phase ${i + 1} “${a.name}” removed`);
      continue;
    }
    const label = `Phase ${i + 1} “${b.name}”`;
    if (a.name !== b.name) out.push(`Phase ${i + 1} renamed “${a.name}” → “${b.name}”`);
    if (a.percent !== b.percent) out.push(`${label}: ${a.percent} % → ${b.percent} %`);
    if (a.minSoakSeconds !== b.minSoakSeconds) out.push(`${label}: soak ${seconds(a.minSoakSeconds)} → ${seconds(b.minSoakSeconds)}`);
    if (a.requiredApprovals !== b.requiredApprovals) out.push(`${label}: approvals ${a.requiredApprovals} → ${b.requiredApprovals}`);
    if (!same(a.criteria, b.criteria)) out.push(`${label}: criteria ${criteriaText(a.criteria)} → ${criteriaText(b.criteria)}`);
    if (!same(a.checklist, b.checklist)) out.push(`${label}: checklist changed (${a.checklist.length} → ${b.checklist.length} items)`);
    if (!same(a.allowlist, b.allowlist)) out.push(`${label}: allowlist ${a.allowlist.length} → ${b.allowlist.length} keys`);
    if (!same(a.segments ?? [], b.segments ?? []))
      out.push(a.audience && b.audience ? `${label}: audience “${a.audience}” → “${b.audience}”` : `${label}: segments changed`);
    // The same segments, matching someone else: a segment's name or rules were edited
    // (lib/rollouts/replan-for-segment.ts). Compared without the percentage, which has its own line.
    else if (a.audience && b.audience && same(a.allowlist, b.allowlist) && withoutShare(a) !== withoutShare(b))
      out.push(`${label}: audience “${a.audience}” → “${b.audience}” (a segment changed)`);
    if (!same(a.notBefore, b.notBefore)) out.push(`${label}: not before ${a.notBefore ?? "—"} → ${b.notBefore ?? "—"}`);
  }
  for (const field of ["riskLevel", "benefits", "risks", "links"]) {
    if (!same(before.impact[field], after.impact[field]))
      out.push(`Impact assessment: ${field === "riskLevel" ? "risk level" : field} changed`);
  }
  const recipients = (p: PlanSnapshot) => (p.notifyWebhookIds == null ? null : [...p.notifyWebhookIds].sort());
  if (!same(recipients(before), recipients(after)))
    out.push(
      `Communication plan: ${describeRecipients(before.notifyWebhookIds, webhookNames)} → ${describeRecipients(after.notifyWebhookIds, webhookNames)}`,
    );
  return out;
}
