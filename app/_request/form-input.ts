import "server-only";

/**
 * Server actions are public HTTP endpoints: anyone can call one with any arguments, not only our
 * forms. Each action checks it was given a form before reading it, and answers with this message
 * (a form error, never an unhandled throw) when it was not.
 */
export const UNREADABLE_FORM = "The form could not be read. Reload the page and try again.";

export function isForm(value: unknown): value is FormData {
  return value instanceof FormData;
}
