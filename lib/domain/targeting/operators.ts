import { fieldReader, type FieldReader } from "./context";
import { parseIp, inRange, type IpAddress } from "./ip";
import { CONSTRAINT_OPERATORS, type Constraint, type ConstraintOperator, type TargetingContext } from "./model";
import { translateRe2 } from "./regex";
import { compareSemver, parseContextSemver, parseSemver } from "./semver";

/** What evaluation may not decide alone: a random draw in [0, 1) and the current time (ms). */
export interface Sources {
  random(): number;
  now(): number;
}

export type Matcher = (context: TargetingContext, sources: Sources) => boolean;

export const NEVER: Matcher = () => false;
const KNOWN: ReadonlySet<string> = new Set(CONSTRAINT_OPERATORS);

/** Unleash's `cleanValues`: empty values dropped, the others trimmed. */
const clean = (values: readonly string[] | undefined) => (values ?? []).filter((v) => !!v).map((v) => v.trim());

function inList(read: FieldReader, values: readonly string[], negate: boolean): Matcher {
  const set = new Set(values);
  return negate ? (c) => !set.has(read(c)!) : (c) => set.has(read(c)!);
}

function strings(read: FieldReader, op: ConstraintOperator, values: string[], caseInsensitive: boolean): Matcher {
  const wanted = caseInsensitive ? values.map((v) => v.toLowerCase()) : values;
  const test =
    op === "STR_STARTS_WITH"
      ? (s: string, v: string) => s.startsWith(v)
      : op === "STR_ENDS_WITH"
        ? (s: string, v: string) => s.endsWith(v)
        : (s: string, v: string) => s.includes(v);
  return (c) => {
    const raw = read(c);
    if (raw === undefined) return false;
    const s = caseInsensitive ? raw.toLowerCase() : raw;
    for (const v of wanted) if (test(s, v)) return true;
    return false;
  };
}

function numbers(read: FieldReader, op: ConstraintOperator, value: number): Matcher {
  if (Number.isNaN(value)) return NEVER;
  const num = (c: TargetingContext) => Number(read(c)); // Number(undefined) is NaN: never matches
  switch (op) {
    case "NUM_EQ":
      return (c) => num(c) === value;
    case "NUM_GT":
      return (c) => num(c) > value;
    case "NUM_GTE":
      return (c) => num(c) >= value;
    case "NUM_LT":
      return (c) => num(c) < value;
    default:
      return (c) => num(c) <= value;
  }
}

/** Unleash compares the context's currentTime (now when absent), whatever the constraint's field. */
function dates(op: ConstraintOperator, value: string | undefined): Matcher {
  const at = value === undefined ? NaN : Date.parse(value); // as `new Date(value)`, without the object
  const now = (c: TargetingContext, s: Sources) => (c.currentTime ? Date.parse(c.currentTime) : s.now());
  return op === "DATE_AFTER" ? (c, s) => now(c, s) > at : (c, s) => now(c, s) < at;
}

function semvers(read: FieldReader, op: ConstraintOperator, value: string | undefined): Matcher {
  const target = value === undefined ? null : parseSemver(value);
  if (!target) return NEVER;
  const accept: Record<string, (n: number) => boolean> = {
    SEMVER_EQ: (n) => n === 0,
    SEMVER_GT: (n) => n > 0,
    SEMVER_GTE: (n) => n >= 0,
    SEMVER_LT: (n) => n < 0,
    SEMVER_LTE: (n) => n <= 0,
  };
  const ok = accept[op]!;
  return (c) => {
    const raw = read(c);
    const v = raw ? parseContextSemver(raw) : null;
    return v !== null && ok(compareSemver(v, target));
  };
}

function regex(read: FieldReader, value: string | undefined, caseInsensitive: boolean): Matcher {
  const t = translateRe2(value ?? "", caseInsensitive);
  if (!("regex" in t)) return NEVER;
  const re = t.regex;
  return (c) => {
    const s = read(c);
    return s !== undefined && re.test(s);
  };
}

function cidr(read: FieldReader, values: string[]): Matcher {
  const ranges = values.map(parseIp).filter((r): r is IpAddress => r !== null);
  return (c) => {
    const s = read(c);
    const address = s === undefined ? null : parseIp(s);
    return address !== null && ranges.some((r) => inRange(address, r));
  };
}

function positive(c: Constraint): Matcher {
  const read = fieldReader(c.contextName);
  const op = c.operator;
  switch (op) {
    case "IN":
    case "NOT_IN":
      return inList(read, clean(c.values), op === "NOT_IN");
    case "STR_CONTAINS":
    case "STR_STARTS_WITH":
    case "STR_ENDS_WITH":
      return strings(read, op, clean(c.values), c.caseInsensitive === true);
    case "NUM_EQ":
    case "NUM_GT":
    case "NUM_GTE":
    case "NUM_LT":
    case "NUM_LTE":
      return numbers(read, op, Number(c.value));
    case "DATE_AFTER":
    case "DATE_BEFORE":
      return dates(op, c.value);
    case "REGEX":
      return regex(read, c.value, c.caseInsensitive === true);
    case "IN_CIDR":
      return cidr(read, clean(c.values));
    default:
      return semvers(read, op, c.value);
  }
}

/**
 * One constraint, compiled once: values cleaned, numbers, dates, versions, ranges and patterns
 * parsed. `inverted` negates the whole answer, "the field is missing" included (Unleash). An
 * operator Rollgate does not know never matches, inverted or not (Unleash).
 */
export function compileConstraint(c: Constraint): Matcher {
  if (!KNOWN.has(c.operator)) return NEVER;
  const m = positive(c);
  return c.inverted ? (ctx, s) => !m(ctx, s) : m;
}

/** Every constraint must match; none is a match. */
export function allOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.length === 0) return () => true;
  if (matchers.length === 1) return matchers[0]!;
  return (c, s) => {
    for (const m of matchers) if (!m(c, s)) return false;
    return true;
  };
}
