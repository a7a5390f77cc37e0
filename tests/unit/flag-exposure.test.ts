import { describe, expect, it } from "vitest";
import { describeExposure, widensExposure, type FlagExposure } from "../../lib/domain/flag-exposure";

const s = (enabled: boolean, rolloutPercent: number, allowlist: string[] = []): FlagExposure => ({ enabled, rolloutPercent, allowlist });

describe("widensExposure", () => {
  it("is true when more subjects would be served on", () => {
    expect(widensExposure(s(true, 10), s(true, 100))).toBe(true);
    expect(widensExposure(s(false, 100), s(true, 5))).toBe(true);
    expect(widensExposure(s(false, 0), s(true, 0, ["qa-1"]))).toBe(true);
    expect(widensExposure(s(true, 10, ["a"]), s(true, 10, ["a", "b"]))).toBe(true);
  });

  it("is false when exposure stays or narrows", () => {
    expect(widensExposure(s(true, 10), s(true, 10))).toBe(false);
    expect(widensExposure(s(true, 50), s(true, 5))).toBe(false);
    expect(widensExposure(s(true, 100), s(false, 100))).toBe(false);
    // Enabled at 0 % with nobody allowlisted serves off to everyone, like disabled.
    expect(widensExposure(s(false, 30), s(true, 0))).toBe(false);
    expect(widensExposure(s(true, 10, ["a", "b"]), s(true, 10, ["b"]))).toBe(false);
  });
});

describe("describeExposure", () => {
  it("says off, a percentage, and allowlisted keys", () => {
    expect(describeExposure(s(false, 100, ["a"]))).toBe("off");
    expect(describeExposure(s(true, 10))).toBe("10 %");
    expect(describeExposure(s(true, 0, ["a"]))).toBe("1 allowlisted key");
    expect(describeExposure(s(true, 25, ["a", "b"]))).toBe("25 % + 2 allowlisted keys");
  });
});
