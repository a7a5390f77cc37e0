import type { Target } from "./targets";

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Requests per target: API and data-plane routes get the most, pages the fewest (they take no body). */
export const PER_TARGET = { action: 60, page: 30, http: 70 } as const;

/** What kind of way in a target is, as PER_TARGET counts it. */
export function targetKind(target: Target): keyof typeof PER_TARGET {
  const path = target.id.split(" ")[1] ?? "";
  return target.kind === "action" ? "action" : path.startsWith("/api/") || path.startsWith("/ofrep/") ? "http" : "page";
}

/** How many generated requests a target gets in a run (FUZZ_SCALE times PER_TARGET). */
export function runsFor(target: Target): number {
  return Math.round(PER_TARGET[targetKind(target)] * SCALE);
}
