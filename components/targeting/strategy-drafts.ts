import type { Segment, Strategy, VariantDefinition } from "@/lib/domain/targeting/model";
import { describeStrategy } from "@/lib/domain/targeting/describe";
import { toDependencyInput, toVariantInput, type DependencyDraft, type VariantDraft } from "./flag-variant-drafts";
import {
  emptyDraft as emptyConstraint,
  toConstraintInput,
  toDraft as toConstraintDraft,
  type ConstraintDraft,
} from "../segments/constraint-drafts";

/**
 * A strategy as the editor holds it while someone types: every field a string (the server's schema
 * says what is wrong with it), the constraints as the segments page's constraint editor holds them.
 * `toTargetingInput` turns the list into what `PATCH …/environments/{env}` reads, so the server's
 * messages (`targeting.strategies.0.constraints.1.value`) land on the fields they name.
 */
export interface StrategyDraft {
  /** Stable across edits and moves, for React keys; never sent. */
  id: number;
  title: string;
  rollout: string;
  stickiness: string;
  groupId: string;
  constraints: ConstraintDraft[];
  segments: number[];
  /** Strategy variants are kept as they are: this editor does not change them. */
  variants: VariantDefinition[];
}

let nextId = 1;

export function emptyStrategy(): StrategyDraft {
  return {
    id: nextId++,
    title: "",
    rollout: "100",
    stickiness: "default",
    groupId: "",
    constraints: [emptyConstraint()],
    segments: [],
    variants: [],
  };
}

/** `flagGroup`: the flag's own bucketing group, shown as the empty default rather than spelled out. */
export function toStrategyDraft(s: Strategy, flagGroup?: string): StrategyDraft {
  return {
    id: nextId++,
    title: s.title ?? "",
    rollout: String(s.rollout),
    stickiness: s.stickiness || "default",
    groupId: s.groupId && s.groupId !== flagGroup ? s.groupId : "",
    constraints: s.constraints.map(toConstraintDraft),
    segments: [...s.segments],
    variants: s.variants,
  };
}

/** A whole number as a number; anything else as typed, for the schema to name. */
const whole = (v: string): unknown => (/^\s*\d+\s*$/.test(v) ? Number(v) : v);

export function toStrategyInput(d: StrategyDraft): Record<string, unknown> {
  return {
    rollout: whole(d.rollout),
    stickiness: d.stickiness.trim() || "default",
    ...(d.groupId.trim() ? { groupId: d.groupId.trim() } : {}),
    constraints: d.constraints.map(toConstraintInput),
    segments: d.segments,
    variants: d.variants,
    ...(d.title.trim() ? { title: d.title.trim() } : {}),
  };
}

/** The document to send. Nothing left at all is `null`: back to the plain rollout. */
export function toTargetingInput(
  drafts: StrategyDraft[],
  variants: VariantDraft[],
  dependencies: DependencyDraft[],
): Record<string, unknown> | null {
  if (!drafts.length && !variants.length && !dependencies.length) return null;
  return {
    strategies: drafts.map(toStrategyInput),
    variants: variants.map(toVariantInput),
    dependencies: dependencies.map(toDependencyInput),
  };
}

/** A draft in words, as it would read once saved (values the server would refuse read as typed). */
export function describeDraft(d: StrategyDraft, segments: Readonly<Record<string, Segment>>): string {
  const input = toStrategyInput(d);
  const strategy: Strategy = {
    rollout: typeof input.rollout === "number" ? input.rollout : 0,
    stickiness: d.stickiness.trim() || "default",
    groupId: d.groupId,
    constraints: d.constraints
      .filter((c) => c.contextName.trim())
      .map((c) => toConstraintInput(c) as unknown as Strategy["constraints"][number]),
    segments: d.segments,
    variants: d.variants,
  };
  return describeStrategy(strategy, segments);
}

/** The strategy indexes that have a message under `targeting.strategies.<i>`. */
export function strategiesWithErrors(fields: Record<string, string>): Set<number> {
  const out = new Set<number>();
  for (const key of Object.keys(fields)) {
    const m = /^targeting\.strategies\.(\d+)(\.|$)/.exec(key);
    if (m) out.add(Number(m[1]));
  }
  return out;
}
