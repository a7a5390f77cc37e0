/**
 * What a text area holds as a list, read the same by a form's preview (client) and its server action.
 * Lines: links and checklist items, which may themselves contain commas.
 */
export const linesOf = (text: string): string[] =>
  text
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);

/** Targeting keys: one per line or comma-separated (a key holds neither). */
export const keysOf = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
