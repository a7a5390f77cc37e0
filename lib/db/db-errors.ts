/**
 * PostgreSQL SQLSTATEs that mean "the value sent cannot be stored" rather than "the server broke":
 * class 22 (data exception: invalid byte sequence, value too long, out of range, bad datetime) and
 * 54000 (a value too large for an index). Input validation should catch these first; this is the
 * last line, so a value that slips past a schema is a 400, not a 500.
 */
const INVALID_INPUT = /^(22[0-9A-Z]{3}|54000)$/;

/** The SQLSTATE of a pg or Prisma (driver adapter) error, when there is one. */
export function sqlStateOf(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      originalCode?: unknown;
      clientVersion?: unknown;
      meta?: { driverAdapterError?: unknown };
      cause?: unknown;
    };
    if (typeof e.originalCode === "string") return e.originalCode;
    // Prisma's own codes (P2039…) look like SQLSTATEs; the database's code is in its driver error.
    const isPrismaError = e.clientVersion !== undefined;
    if (!isPrismaError && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    current = e.meta?.driverAdapterError ?? e.cause;
  }
  return undefined;
}

export function isInvalidInputError(err: unknown): boolean {
  const state = sqlStateOf(err);
  return state !== undefined && INVALID_INPUT.test(state);
}
