import type { Tx } from "../db/client";
import { AppError } from "../errors";
import { stableStringify } from "../domain/stable-json";
import type { Constraint, Targeting } from "../domain/targeting/model";
import type { MappedSegment } from "../domain/unleash-import";
import { constraintsSchema } from "../targeting/targeting-schemas";

/**
 * The Unleash export's segments in Rollgate (read by import-unleash.ts).
 *
 * A segment is matched by name (case-insensitive, as Rollgate's names are unique): one with the same
 * name and the same constraints is reused; one with the same name and other constraints is left as it
 * is (other flags use it) and the export's segment is created as "<name> (imported)", or
 * "(imported 2)", … So an import never changes who an existing segment matches, and importing the
 * same export again finds the segments it created and reuses them.
 */
export interface SegmentPlan {
  /** The segment's id in the Unleash export. */
  unleashId: number;
  name: string;
  /** create: a new segment; reuse: an existing one with this name and these constraints; skip: not imported (see problems). */
  action: "create" | "reuse" | "skip";
  /** Rollgate's id: the reused one, or the created one (null in a dry run until it is created). */
  id: number | null;
  constraints: Constraint[];
  problems: string[];
}

const MAX_NAME = 100;
const IMPORTED = " (imported";

/** The names to try in order: the export's, then "<name> (imported)", "<name> (imported 2)", … (≤ 100 characters). */
function candidateName(base: string, attempt: number): string {
  if (attempt === 0) return base.slice(0, MAX_NAME);
  const suffix = `${IMPORTED}${attempt === 1 ? "" : ` ${attempt}`})`;
  return `${base.slice(0, MAX_NAME - suffix.length)}${suffix}`;
}

/**
 * Adds the problems a segment's constraints have for Rollgate's validation (what the segments API
 * would refuse) to the export's segments, before the flags are mapped: a flag using such a segment
 * is then named as a problem too (it is not imported, so the flag cannot use it).
 */
export function checkImportedSegments(segments: Map<number, MappedSegment>): void {
  for (const [id, s] of segments) {
    const parsed = constraintsSchema.safeParse(s.segment.constraints);
    if (parsed.success) continue;
    const issue = parsed.error.issues[0]!;
    s.problems.push(`segment ${id}: constraint ${issue.path.join(".")}: ${issue.message}`);
  }
}

interface ExistingSegment {
  id: number;
  name: string;
  constraints: string;
}

/**
 * Which export segments to create and which to reuse, with the reused ones locked FOR SHARE (level 3b
 * of lib/db/lock-order.ts), so neither their constraints nor their existence change before commit.
 */
export async function planSegments(tx: Tx, segments: ReadonlyMap<number, MappedSegment>): Promise<SegmentPlan[]> {
  if (segments.size === 0) return [];
  const rows = await tx.$queryRaw<{ id: number; name: string; constraints: unknown }[]>`SELECT id, name, constraints FROM segments`;
  const byName = new Map<string, ExistingSegment>(
    rows.map((r) => [r.name.toLowerCase(), { id: r.id, name: r.name, constraints: stableStringify(r.constraints) }]),
  );
  const planned = new Map<string, SegmentPlan>();
  const plans: SegmentPlan[] = [];
  for (const [unleashId, s] of [...segments].sort(([a], [b]) => a - b)) {
    const plan: SegmentPlan = {
      unleashId,
      name: s.segment.name,
      action: "skip",
      id: null,
      constraints: s.segment.constraints,
      problems: s.problems,
    };
    plans.push(plan);
    if (s.problems.length) continue;
    const wanted = stableStringify(s.segment.constraints);
    for (let attempt = 0; ; attempt++) {
      const name = candidateName(s.segment.name.trim() || `segment ${unleashId}`, attempt);
      const key = name.toLowerCase();
      const same = planned.get(key);
      if (same) {
        if (stableStringify(same.constraints) !== wanted) continue;
        Object.assign(plan, { name: same.name, action: same.action, id: same.id });
        break;
      }
      const existing = byName.get(key);
      if (existing && existing.constraints !== wanted) continue;
      Object.assign(plan, existing ? { name: existing.name, action: "reuse", id: existing.id } : { name, action: "create" });
      planned.set(key, plan);
      break;
    }
  }
  const reused = [...new Set(plans.filter((p) => p.action === "reuse").map((p) => p.id!))].sort((a, b) => a - b);
  if (reused.length) {
    const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM segments WHERE id = ANY(${reused}::int[]) ORDER BY id FOR SHARE`;
    if (locked.length !== reused.length) throw segmentsChanged();
  }
  return plans;
}

const segmentsChanged = () =>
  new AppError("CONFLICT", "Segments were created, changed or deleted while the import ran. Run the import again.", {
    fields: { export: "segments changed meanwhile; run the import again" },
  });

/** Creates the planned segments in one statement and fills in their ids. Returns the created ones. */
export async function createSegments(tx: Tx, plans: SegmentPlan[], userId: string): Promise<SegmentPlan[]> {
  const seen = new Set<string>();
  const creates = plans.filter((p) => p.action === "create" && !seen.has(p.name.toLowerCase()) && seen.add(p.name.toLowerCase()));
  if (!creates.length) return [];
  const rows = await tx.$queryRaw<{ id: number; name: string }[]>`
    INSERT INTO segments (name, description, constraints, created_by, updated_by)
    SELECT r.name, 'Imported from Unleash', r.constraints, ${userId}::uuid, ${userId}::uuid
      FROM jsonb_to_recordset(${JSON.stringify(creates.map((p) => ({ name: p.name, constraints: p.constraints })))}::jsonb)
           AS r(name text, constraints jsonb)
    ON CONFLICT DO NOTHING RETURNING id, name`;
  // A segment of that name created by someone else since planSegments read them.
  if (rows.length !== creates.length) throw segmentsChanged();
  const ids = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
  for (const p of plans) if (p.action === "create") p.id = ids.get(p.name.toLowerCase()) ?? null;
  return creates;
}

/**
 * A mapped targeting with Unleash's segment ids replaced by Rollgate's. A strategy naming a segment
 * that is not imported is left out (the environment is imported disabled then: its problems name
 * the segment). In a dry run a segment still to be created is written as minus its Unleash id.
 */
export function renumberSegments(targeting: Targeting, plans: readonly SegmentPlan[]): Targeting {
  if (!targeting.strategies.some((s) => s.segments.length)) return targeting;
  const ids = new Map(plans.flatMap((p) => (p.action === "skip" ? [] : [[p.unleashId, p.id ?? -p.unleashId] as const])));
  return {
    ...targeting,
    strategies: targeting.strategies
      .filter((s) => s.segments.every((id) => ids.has(id)))
      .map((s) => ({ ...s, segments: s.segments.map((id) => ids.get(id)!) })),
  };
}
