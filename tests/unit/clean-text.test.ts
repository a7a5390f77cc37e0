// The text rules the API validates with and the SDK cleans by (lib/domain/clean-text.ts).
import { describe, expect, it } from "vitest";
import { cleanLabel, isCleanText } from "../../lib/domain/clean-text";
import { plainText } from "../../lib/validation/text";

const accepted = (value: string, max: number) => plainText({ max, trim: false }).safeParse(value).success;

describe("cleanLabel", () => {
  it.each([
    ["a line break and indentation", "timeout\n    at fetch", "timeout at fetch"],
    ["a bidi override and a NUL", "E\u202E\u0000CODE", "E CODE"],
    ["tabs and a carriage return", "\tE_A\r\n", "E_A"],
    ["a lone surrogate", "E\uD800X", "E X"],
    ["only control characters", "\n\u0007", ""],
    ["a clean code", "E_TIMEOUT", "E_TIMEOUT"],
  ])("turns %s into a label the API accepts", (_what, value, label) => {
    expect(cleanLabel(value, 100)).toBe(label);
    if (label) expect(accepted(label, 100)).toBe(true);
  });

  it("cuts to the limit in characters, as the API counts them, never inside a surrogate pair", () => {
    const value = `${"x".repeat(99)}😀😀`;
    expect(accepted(value, 100)).toBe(false);
    const cut = cleanLabel(value, 100);
    expect(cut).toBe(`${"x".repeat(99)}😀`);
    expect(accepted(cut, 100)).toBe(true);
    expect(cleanLabel(`${"x".repeat(98)} ${"y".repeat(5)}`, 99)).toBe("x".repeat(98));
  });

  it("agrees with the API's schema on what is clean", () => {
    for (const value of ["plain", "line\nbreak", "tab\there", "\u2028", "é ü 漢字 😀", "\uDC00"]) {
      expect(isCleanText(value), JSON.stringify(value)).toBe(accepted(value, 100));
      expect(accepted(cleanLabel(value, 100) || "x", 100), JSON.stringify(value)).toBe(true);
    }
  });
});
