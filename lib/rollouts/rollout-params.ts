import { notFound } from "../errors";
import { uuidParam } from "../validation/text";

/** A rollout id from a path: anything but a UUID names no rollout (404, never a database error). */
export function rolloutIdParam(raw: string): string {
  const id = uuidParam(raw);
  if (!id) throw notFound(`Rollout '${raw.slice(0, 60)}'`);
  return id;
}

export function phaseIndexParam(raw: string): number {
  if (!/^\d{1,2}$/.test(raw)) throw notFound(`Phase '${raw.slice(0, 20)}'`);
  return Number(raw);
}
