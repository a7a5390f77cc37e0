/** Domain errors carry a stable code; lib/api/http.ts maps each code to one HTTP status. */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION_FAILED"
  | "CONFLICT"
  | "VERSION_CONFLICT"
  | "UNPROCESSABLE"
  | "PAYLOAD_TOO_LARGE";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { fields?: Record<string, string>; current?: unknown; [k: string]: unknown } = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

/**
 * The digest error boundaries see when the database was unreachable (set by
 * lib/db/availability.ts), so the dashboard shows "database unavailable" rather than a generic error.
 * Here rather than there because client components import it and must not pull in Node modules.
 */
export const DATABASE_UNAVAILABLE_DIGEST = "ROLLGATE_DATABASE_UNAVAILABLE";

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const validationFailed = (fields: Record<string, string>, message = "The request is invalid") =>
  new AppError("VALIDATION_FAILED", message, { fields });
