import { notFound } from "../errors";
import { pathId } from "../validation/path-id";

/** A rollout id from a path: anything but a UUID names no rollout (404, never a database error). */
export function rolloutIdParam(raw: string): string {
  return pathId(raw, "Rollout");
}

export function phaseIndexParam(raw: string): number {
  if (!/^\d{1,2}$/.test(raw)) throw notFound(`Phase '${raw.slice(0, 20)}'`);
  return Number(raw);
}
