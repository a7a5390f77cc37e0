import { parseIp } from "./ip";
import { CONSTRAINT_OPERATORS, LIST_OPERATORS, type Constraint, type Segment, type Targeting, type VariantDefinition } from "./model";
import { translateRe2 } from "./regex";
import { parseSemver } from "./semver";

/** A field-level message for an editor or an API 422: `path` as in the targeting object ("strategies.0.rollout"). */
export interface TargetingProblem {
  path: string;
  message: string;
}

const KNOWN: ReadonlySet<string> = new Set(CONSTRAINT_OPERATORS);

/** What would make a constraint never match, or match otherwise than it reads. */
export function constraintProblems(c: Constraint, path: string): TargetingProblem[] {
  const out: TargetingProblem[] = [];
  const say = (field: string, message: string) => out.push({ path: `${path}.${field}`, message });
  if (!c.contextName) say("contextName", "Choose the context field to compare.");
  if (!KNOWN.has(c.operator)) {
    say("operator", `Unknown operator '${String(c.operator)}'.`);
    return out;
  }
  if (LIST_OPERATORS.has(c.operator)) {
    const values = (c.values ?? []).map((v) => v.trim()).filter(Boolean);
    if (values.length === 0 && c.operator !== "NOT_IN") say("values", "Give at least one value.");
    if (c.operator === "IN_CIDR") {
      const bad = values.filter((v) => parseIp(v) === null);
      if (bad.length) say("values", `Not an IP address or CIDR range: ${bad.join(", ")}.`);
    }
    return out;
  }
  const value = c.value ?? "";
  if (c.operator.startsWith("NUM_") && (value.trim() === "" || Number.isNaN(Number(value)))) say("value", "Give a number.");
  if (c.operator.startsWith("DATE_") && Number.isNaN(new Date(value).getTime())) say("value", "Give a date and time (ISO 8601).");
  if (c.operator.startsWith("SEMVER_") && !parseSemver(value)) say("value", "Give a semantic version such as 2.3.0 or 2.3.0-beta.1.");
  if (c.operator === "REGEX") {
    const t = translateRe2(value, c.caseInsensitive);
    if ("invalid" in t) say("value", `Not a valid RE2 expression (${t.invalid}).`);
    if ("unsupported" in t) say("value", `Rollgate cannot evaluate this expression as RE2 does (${t.unsupported}).`);
  }
  return out;
}

function variantProblems(variants: readonly VariantDefinition[], path: string): TargetingProblem[] {
  const out: TargetingProblem[] = [];
  const names = new Set<string>();
  variants.forEach((v, i) => {
    const at = `${path}.${i}`;
    if (!v.name) out.push({ path: `${at}.name`, message: "Name the variant." });
    else if (names.has(v.name)) out.push({ path: `${at}.name`, message: `Two variants are named '${v.name}'.` });
    names.add(v.name);
    if (!Number.isInteger(v.weight) || v.weight < 0) out.push({ path: `${at}.weight`, message: "A weight is a whole number, 0 or more." });
    if (v.payload?.type === "number" && (v.payload.value.trim() === "" || Number.isNaN(Number(v.payload.value))))
      out.push({ path: `${at}.payload.value`, message: "Give a number." });
    if (v.payload?.type === "json") {
      try {
        JSON.parse(v.payload.value);
      } catch {
        out.push({ path: `${at}.payload.value`, message: "Not valid JSON." });
      }
    }
  });
  if (variants.length && variants.reduce((a, v) => a + v.weight, 0) <= 0)
    out.push({ path, message: "The weights add up to nothing: no variant would be served." });
  return out;
}

/**
 * Everything in a targeting that would not behave as it reads: for the editor's messages and the
 * API's 422s. `segments`: the environment's segments (a strategy naming a missing one never matches);
 * `flagKey`: the flag itself (it cannot depend on itself).
 */
export function targetingProblems(
  t: Targeting,
  options: { flagKey?: string; segments?: Readonly<Record<string, Segment>> } = {},
): TargetingProblem[] {
  const out: TargetingProblem[] = [];
  t.strategies.forEach((s, i) => {
    const at = `strategies.${i}`;
    if (!(s.rollout >= 0 && s.rollout <= 100) || !Number.isInteger(s.rollout))
      out.push({ path: `${at}.rollout`, message: "A percentage is a whole number from 0 to 100." });
    if (!s.stickiness) out.push({ path: `${at}.stickiness`, message: "Choose what keeps a subject in the same bucket." });
    s.constraints.forEach((c, j) => out.push(...constraintProblems(c, `${at}.constraints.${j}`)));
    s.segments.forEach((id, j) => {
      if (options.segments && !options.segments[String(id)])
        out.push({ path: `${at}.segments.${j}`, message: `There is no segment ${id}.` });
    });
    out.push(...variantProblems(s.variants, `${at}.variants`));
  });
  out.push(...variantProblems(t.variants, "variants"));
  t.dependencies.forEach((d, i) => {
    if (!d.feature) out.push({ path: `dependencies.${i}.feature`, message: "Choose the flag this one depends on." });
    else if (d.feature === options.flagKey) out.push({ path: `dependencies.${i}.feature`, message: "A flag cannot depend on itself." });
  });
  return out;
}
