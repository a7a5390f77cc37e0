import { describe, expect, it } from "vitest";
import { flagStateSummary } from "@/components/flags/flag-state-badge";

const on = { killed: false, enabled: true, allowlist: [] as string[] };

describe("flagStateSummary", () => {
  it("reads evaluation's precedence: killed, off, 100 %, a percentage", () => {
    expect(flagStateSummary({ ...on, killed: true, rolloutPercent: 50 }).text).toBe("Killed");
    expect(flagStateSummary({ ...on, enabled: false, rolloutPercent: 50 }).text).toBe("Off");
    expect(flagStateSummary({ ...on, rolloutPercent: 100 }).text).toBe("On · 100%");
    expect(flagStateSummary({ ...on, rolloutPercent: 10 }).text).toBe("Rolling out · 10%");
  });

  it("at 0 % names who is served: segments or strategies are 'Targeted', not 'Allowlist only'", () => {
    expect(flagStateSummary({ ...on, rolloutPercent: 0 }).text).toBe("On · 0%");
    expect(flagStateSummary({ ...on, rolloutPercent: 0, allowlist: ["qa-1", "qa-2"] }).text).toBe("Allowlist only (2)");
    expect(flagStateSummary({ ...on, rolloutPercent: 0, allowlist: ["qa-1"], rolloutSegments: [3] }).text).toBe("Targeted");
    const strategy = { name: "flexibleRollout", constraints: [], segments: [], percent: 100 } as never;
    expect(flagStateSummary({ ...on, rolloutPercent: 0, targeting: { strategies: [strategy], variants: [], dependencies: [] } }).text).toBe(
      "Targeted",
    );
  });
});
