/**
 * The flag list shows this much of a description; the flag's own page has the full text. Fifty rows
 * of 500 characters, twice over with the RSC payload, would be 50 KB of a page held under 200 KB.
 */
export const LIST_DESCRIPTION_CHARS = 120;

/** The first `LIST_DESCRIPTION_CHARS` characters (whole code points), ending in an ellipsis when cut. */
export function descriptionPreview(text: string): string {
  if (text.length <= LIST_DESCRIPTION_CHARS) return text;
  const points = Array.from(text);
  if (points.length <= LIST_DESCRIPTION_CHARS) return text;
  return `${points
    .slice(0, LIST_DESCRIPTION_CHARS - 1)
    .join("")
    .trimEnd()}…`;
}
