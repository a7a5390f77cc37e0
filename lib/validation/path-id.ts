import { notFound } from "../errors";
import { uuidParam } from "./text";

/**
 * An id from a route's path, lower-cased: anything but a UUID names no `what` we store (404, never
 * a database error).
 */
export function pathId(raw: string, what: string): string {
  const id = uuidParam(raw);
  if (!id) throw notFound(`${what} '${raw.slice(0, 60)}'`);
  return id;
}
