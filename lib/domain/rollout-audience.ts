import { describeSegment } from "./targeting/describe";
import type { Segment } from "./targeting/model";

/** Who a rollout phase serves, as the plan, the gates and the approval form state it. */
export interface PhaseAudience {
  percent: number;
  allowlist: readonly string[];
  segments?: readonly number[];
}

const keys = (list: readonly string[]) => {
  const shown = list.length > 3 ? `${list.slice(0, 3).join(", ")} and ${list.length - 3} more` : list.join(", ");
  return `${list.length === 1 ? "1 listed key" : `${list.length} listed keys`} (${shown})`;
};

/**
 * A phase's audience in words: "Staff (email ends with @acme.com)", "Staff (…), 2 listed keys (qa-1,
 * qa-2) and 10 % of everyone", "everyone". A segment deleted since the plan named it is said, since
 * the phase can no longer start.
 */
export function describeAudience(phase: PhaseAudience, segments: Readonly<Record<string, Segment>>): string {
  if (phase.percent >= 100) return "everyone";
  const parts = (phase.segments ?? []).map((id) => {
    const segment = segments[String(id)];
    return segment ? describeSegment(segment) : `segment ${id} (deleted)`;
  });
  if (phase.allowlist.length) parts.push(keys(phase.allowlist));
  if (phase.percent > 0) parts.push(`${phase.percent} % of everyone`);
  if (parts.length === 0) return "no one";
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}
