import { describe, expect, it } from "vitest";
import { descriptionPreview, LIST_DESCRIPTION_CHARS } from "../../components/flags/description-preview";

describe("descriptionPreview (the flag list's description)", () => {
  it("keeps a description that fits", () => {
    const fits = "x".repeat(LIST_DESCRIPTION_CHARS);
    expect(descriptionPreview(fits)).toBe(fits);
    expect(descriptionPreview("")).toBe("");
  });

  it("cuts a long one to the limit, ending in an ellipsis", () => {
    expect(descriptionPreview("a".repeat(500))).toBe(`${"a".repeat(LIST_DESCRIPTION_CHARS - 1)}…`);
    // A cut that ends on a space drops it before the ellipsis.
    const spaced = `${"a".repeat(LIST_DESCRIPTION_CHARS - 2)} and more`;
    expect(descriptionPreview(spaced)).toBe(`${"a".repeat(LIST_DESCRIPTION_CHARS - 2)}…`);
  });

  it("never splits a character made of two UTF-16 units", () => {
    const emoji = "🚩".repeat(LIST_DESCRIPTION_CHARS + 5);
    const cut = descriptionPreview(emoji);
    expect(cut).toBe(`${"🚩".repeat(LIST_DESCRIPTION_CHARS - 1)}…`);
    // Exactly the limit in code points (but twice that in UTF-16 units) is not cut at all.
    expect(descriptionPreview("🚩".repeat(LIST_DESCRIPTION_CHARS))).toBe("🚩".repeat(LIST_DESCRIPTION_CHARS));
  });
});
