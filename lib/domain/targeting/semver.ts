/**
 * Semantic versions as Unleash's SEMVER_* operators read them (the `semver` package, strict mode):
 * `MAJOR.MINOR.PATCH[-pre][+build]`, no leading zeros, at most 256 characters, surrounding spaces
 * ignored, build metadata ignored when comparing. The constraint's value may start with "v"; the
 * context's value may not (Unleash refuses "v1.2.3" as a version to compare).
 */
export interface SemVer {
  readonly main: readonly [number, number, number];
  /** The prerelease identifiers; empty for a release. */
  readonly pre: readonly string[];
}

const NUM = "0|[1-9]\\d*";
const PRE_ID = `(?:\\d*[a-zA-Z-][a-zA-Z0-9-]*|${NUM})`;
const FULL = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*))?$`);
const MAX_LENGTH = 256;

export function parseSemver(version: string): SemVer | null {
  if (version.length > MAX_LENGTH) return null;
  const m = FULL.exec(version.trim());
  if (!m) return null;
  const main = [Number(m[1]), Number(m[2]), Number(m[3])] as const;
  if (main.some((n) => n > Number.MAX_SAFE_INTEGER)) return null;
  const pre = m[4] ? m[4].split(".") : [];
  return { main, pre };
}

/** A context value as Unleash accepts it for comparison: valid, and not written with a leading "v". */
export function parseContextSemver(version: string): SemVer | null {
  return version.startsWith("v") ? null : parseSemver(version);
}

const NUMERIC = /^[0-9]+$/;

/** `semver`'s compareIdentifiers: numbers compare as numbers and sort before words. */
const cmp = (a: string, b: string): number => {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return Number(a) === Number(b) ? 0 : Number(a) < Number(b) ? -1 : 1;
  if (an) return -1;
  if (bn) return 1;
  return a === b ? 0 : a < b ? -1 : 1;
};

export function compareSemver(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) if (a.main[i] !== b.main[i]) return a.main[i]! < b.main[i]! ? -1 : 1;
  // A release sorts after its prereleases.
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; ; i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x !== y) return cmp(x, y);
  }
}
