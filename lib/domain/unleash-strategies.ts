/**
 * One Unleash strategy, constraint, segment or variant as Rollgate's targeting model, exactly, or
 * named as a problem. Pure; used by unleash-import.ts.
 */
import { parseIpv4 } from "./targeting/ip";
import {
  CONSTRAINT_OPERATORS,
  LIST_OPERATORS,
  type Constraint,
  type ConstraintOperator,
  type Segment,
  type Strategy,
  type VariantDefinition,
} from "./targeting/model";
import { regexProblem } from "./targeting/regex";

const KNOWN_OPERATORS: ReadonlySet<string> = new Set(CONSTRAINT_OPERATORS);
const PAYLOAD_TYPES: ReadonlySet<string> = new Set(["string", "number", "json", "csv"]);

export const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

export interface Mapped<T> {
  value: T;
  problems: string[];
}

export function mapConstraint(raw: unknown): Mapped<Constraint | null> {
  const c = asRecord(raw);
  const contextName = asString(c.contextName);
  const operator = asString(c.operator) ?? "";
  if (!contextName) return { value: null, problems: ["a constraint without a context field"] };
  if (!KNOWN_OPERATORS.has(operator)) return { value: null, problems: [`the constraint operator '${operator}'`] };
  const op = operator as ConstraintOperator;
  const out: Constraint = { contextName, operator: op };
  if (c.inverted === true) out.inverted = true;
  if (c.caseInsensitive === true) out.caseInsensitive = true;
  const problems: string[] = [];
  if (LIST_OPERATORS.has(op)) {
    const values = asArray(c.values);
    if (values.some((v) => typeof v !== "string")) problems.push(`a ${op} constraint with values that are not text`);
    out.values = values.filter((v): v is string => typeof v === "string");
  } else {
    if (c.value !== undefined && typeof c.value !== "string") problems.push(`a ${op} constraint whose value is not text`);
    if (typeof c.value === "string") out.value = c.value;
    if (op === "REGEX") {
      const problem = regexProblem(out.value ?? "", out.caseInsensitive);
      if (problem) problems.push(problem);
    }
  }
  return { value: out, problems };
}

function mapConstraints(raw: unknown[]): Mapped<Constraint[]> {
  const mapped = raw.map(mapConstraint);
  return { value: mapped.flatMap((m) => (m.value ? [m.value] : [])), problems: mapped.flatMap((m) => m.problems) };
}

export interface MappedSegment {
  segment: Segment;
  problems: string[];
}

/** The export's `segments` (Unleash's global segments), by id. */
export function readUnleashSegments(doc: unknown): Map<number, MappedSegment> {
  const out = new Map<number, MappedSegment>();
  for (const raw of asArray(asRecord(doc).segments)) {
    const s = asRecord(raw);
    const id = Number(s.id);
    if (!Number.isInteger(id)) continue;
    const constraints = mapConstraints(asArray(s.constraints));
    out.set(id, {
      segment: { id, name: asString(s.name) ?? `segment ${id}`, constraints: constraints.value },
      problems: constraints.problems.map((p) => `segment ${id}: ${p}`),
    });
  }
  return out;
}

export function mapVariants(raw: unknown[]): Mapped<VariantDefinition[]> {
  const problems: string[] = [];
  const value = raw.map((r): VariantDefinition => {
    const v = asRecord(r);
    const name = asString(v.name) ?? "";
    if (!name) problems.push("a variant without a name");
    if (typeof v.weight !== "number") problems.push(`variant '${name}' without a numeric weight`);
    const out: VariantDefinition = { name, weight: typeof v.weight === "number" ? v.weight : 0 };
    if (v.weightType === "fix" || v.weightType === "variable") out.weightType = v.weightType;
    if (typeof v.stickiness === "string" && v.stickiness) out.stickiness = v.stickiness;
    if (v.payload !== undefined && v.payload !== null) {
      const p = asRecord(v.payload);
      const type = asString(p.type) ?? "";
      if (!PAYLOAD_TYPES.has(type) || typeof p.value !== "string") problems.push(`variant '${name}' has a payload of type '${type}'`);
      else out.payload = { type: type as NonNullable<VariantDefinition["payload"]>["type"], value: p.value };
    }
    const overrides = asArray(v.overrides).map(asRecord);
    if (overrides.length) {
      out.overrides = overrides.map((o) => ({
        contextName: asString(o.contextName) ?? "",
        values: asArray(o.values).filter((x): x is string => typeof x === "string"),
      }));
    }
    return out;
  });
  return { value, problems };
}

/** Unleash's `Number(parameter)` and `bucket <= percentage` (with `percentage > 0`), as a 0–100 integer. */
function percentOf(v: unknown): number {
  const n = Number(asString(v));
  return Number.isNaN(n) || n <= 0 ? 0 : n >= 100 ? 100 : Math.floor(n);
}

/** A comma-separated parameter as Unleash splits it; an entry Unleash compares untrimmed or empty is a problem. */
function listParameter(name: string, value: unknown, problems: string[]): string[] {
  const entries = String(asString(value) ?? "").split(/\s*,\s*/);
  if (entries.some((e) => e === "" || e.trim() !== e)) problems.push(`${name} lists an empty or space-padded entry`);
  return entries.filter(Boolean);
}

type Kind = Pick<Strategy, "rollout" | "stickiness" | "groupId"> & { extra?: Constraint[] };

/** What the strategy's name and parameters mean, as one or more strategies (before constraints). */
function kindsOf(s: { name: string; parameters: Record<string, unknown> }, hasVariants: boolean, problems: string[]): Kind[] {
  const p = s.parameters;
  // Unleash picks strategy variants by `${parameters.groupId}`: the text "undefined" when there is none.
  const variantGroup = p.groupId === undefined ? "undefined" : String(p.groupId);
  const everyone = { rollout: 100, stickiness: "default", groupId: variantGroup };
  switch (s.name) {
    case "default":
      return [everyone];
    case "userWithId":
      if (!asString(p.userIds)) return []; // Unleash: no ids, never matches
      return [
        { ...everyone, extra: [{ contextName: "userId", operator: "IN", values: listParameter("userWithId", p.userIds, problems) }] },
      ];
    case "remoteAddress": {
      if (!asString(p.IPs)) return []; // Unleash: no addresses, never matches
      const ips = listParameter("remoteAddress", p.IPs, problems);
      // An address listed as such, or inside an IPv4 range listed (Unleash tries both).
      const ranges = ips.filter((ip) => parseIpv4(ip) !== null);
      const exact: Kind = { ...everyone, extra: [{ contextName: "remoteAddress", operator: "IN", values: ips }] };
      return ranges.length
        ? [exact, { ...everyone, extra: [{ contextName: "remoteAddress", operator: "IN_CIDR", values: ranges }] }]
        : [exact];
    }
    case "gradualRolloutUserId":
    case "gradualRolloutSessionId":
    case "gradualRolloutRandom":
    case "flexibleRollout": {
      const flexible = s.name === "flexibleRollout";
      const rollout = percentOf(flexible ? p.rollout : p.percentage);
      const stickiness = flexible
        ? asString(p.stickiness) || "default"
        : ({ gradualRolloutUserId: "userId", gradualRolloutSessionId: "sessionId" }[s.name as string] ?? "random");
      const group = asString(p.groupId) ?? "";
      const bucketed = rollout > 0 && rollout < 100 && stickiness !== "random";
      if (bucketed && hasVariants && group !== variantGroup) problems.push(`${s.name} without a groupId, with variants`);
      else if (bucketed && flexible && !group) problems.push("flexibleRollout without a groupId (Unleash SDKs bucket it differently)");
      return [{ rollout, stickiness, groupId: bucketed || !hasVariants ? group : variantGroup }];
    }
    case "applicationHostname":
      problems.push("the applicationHostname strategy (it depends on the host that evaluates)");
      return [];
    default:
      problems.push(`the ${s.name || "unnamed"} strategy`);
      return [];
  }
}

export interface StrategyInput {
  name: string;
  /** Unleash's strategy title, kept as the Rollgate strategy's title. */
  title?: string;
  parameters: Record<string, unknown>;
  constraints: unknown[];
  segments: unknown[];
  variants: unknown[];
}

/**
 * One Unleash strategy as Rollgate strategies (remoteAddress can take two; a strategy that can
 * never match, such as one naming a missing segment, takes none). `segments` null: the export's
 * segments were not read, so a strategy using one is a problem.
 */
export function mapStrategy(s: StrategyInput, segments: ReadonlyMap<number, MappedSegment> | null): Mapped<Strategy[]> {
  const problems: string[] = [];
  const constraints = mapConstraints(s.constraints);
  problems.push(...constraints.problems.map((p) => `${p} on ${s.name}`));
  const variants = mapVariants(s.variants);
  problems.push(...variants.problems);
  const segmentIds = s.segments.map(Number);
  if (segmentIds.length && !segments) problems.push(`segments on ${s.name}`);
  let missingSegment = false;
  for (const id of segmentIds) {
    const seg = segments?.get(id);
    if (!seg) missingSegment = true;
    else problems.push(...seg.problems);
  }
  const kinds = kindsOf(s, variants.value.length > 0, problems);
  if (missingSegment && segments) return { value: [], problems }; // Unleash: never matches
  const value = kinds.map(({ extra, ...k }) => ({
    ...k,
    constraints: [...(extra ?? []), ...constraints.value],
    segments: segmentIds,
    variants: variants.value,
    ...(s.title ? { title: s.title } : {}),
  }));
  return { value, problems };
}
