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

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const validationFailed = (fields: Record<string, string>, message = "The request is invalid") =>
  new AppError("VALIDATION_FAILED", message, { fields });
