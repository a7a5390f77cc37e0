import { isIP } from "node:net";
import type { ConstraintOperator } from "../domain/targeting/model";

/**
 * What a constraint's value must look like for its operator, checked when the constraint is saved
 * so the evaluator never meets a value it cannot read. Each check answers null (fine) or the
 * message shown next to the field.
 */

/** Longest accepted regular expression; the evaluator runs it on every evaluation. */
export const MAX_REGEX_LENGTH = 200;

// semver.org's own pattern (2.0.0), anchored.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

// A calendar date, optionally with a time and a zone (what Unleash's DATE_* operators accept).
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

// A quantified group whose body is itself quantified, e.g. (a+)+, (\w*)*, (x+){2,}: the classic
// shapes that backtrack exponentially. Cheap to spot, and nobody's targeting rule needs one.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

export function numberProblem(value: string): string | null {
  const trimmed = value.trim();
  return trimmed !== "" && Number.isFinite(Number(trimmed)) ? null : "must be a number, like 42 or 3.5";
}

export function dateProblem(value: string): string | null {
  return ISO_DATE.test(value.trim()) && Number.isFinite(Date.parse(value.trim()))
    ? null
    : "must be an ISO-8601 date, like 2026-12-31 or 2026-12-31T23:59:00Z";
}

export function semverProblem(value: string): string | null {
  return SEMVER.test(value.trim()) ? null : "must be a semantic version, like 1.2.3 or 2.0.0-beta.1";
}

export function regexProblem(value: string, caseInsensitive = false): string | null {
  if (value.length > MAX_REGEX_LENGTH) return `at most ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(value, caseInsensitive ? "i" : "");
  } catch {
    return "is not a valid regular expression";
  }
  return NESTED_QUANTIFIER.test(value) ? "nests a repeat inside a repeat (like (a+)+), which can take exponential time" : null;
}

/** An IPv4 or IPv6 address, or a CIDR block of either (a bare address is one host). */
export function cidrProblem(value: string): string | null {
  const [address = "", prefix, extra] = value.trim().split("/");
  const family = isIP(address);
  const message = "must be an IP address or CIDR block, like 10.0.0.0/8 or 2001:db8::/32";
  if (!family || extra !== undefined) return message;
  if (prefix === undefined) return null;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128) ? null : message;
}

/** The check for one value of `operator`, or null when any text will do. */
export function valueCheck(operator: ConstraintOperator, caseInsensitive = false): ((value: string) => string | null) | null {
  if (operator.startsWith("NUM_")) return numberProblem;
  if (operator.startsWith("DATE_")) return dateProblem;
  if (operator.startsWith("SEMVER_")) return semverProblem;
  if (operator === "REGEX") return (v) => regexProblem(v, caseInsensitive);
  if (operator === "IN_CIDR") return cidrProblem;
  return null;
}
