import { describe, expect, it } from "vitest";
import { landingPath } from "../../lib/auth/landing";

describe("landingPath: each role lands on what needs them", () => {
  it("sends a product owner with forms waiting to the inbox, otherwise on", () => {
    expect(landingPath(["product_owner"], { approvals: 2 })).toBe("/approvals");
    expect(landingPath(["product_owner"], { approvals: 0 })).toBe("/flags");
    expect(landingPath(["product_owner", "oncall"], { approvals: 1 })).toBe("/approvals");
  });
  it("sends on-call to the overview, everyone else to the flags", () => {
    expect(landingPath(["oncall"], { approvals: 0 })).toBe("/overview");
    expect(landingPath(["product_owner", "oncall"], { approvals: 0 })).toBe("/overview");
    expect(landingPath(["engineer"], { approvals: 0 })).toBe("/flags");
    expect(landingPath(["viewer"], { approvals: 0 })).toBe("/flags");
    expect(landingPath(["admin", "viewer"], { approvals: 0 })).toBe("/flags");
  });
});
