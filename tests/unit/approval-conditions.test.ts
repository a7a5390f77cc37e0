import { describe, expect, it } from "vitest";
import { inOfficeHours, isTimeZone, localTime, timeConditionsUnmet } from "../../lib/domain/approval-conditions";
import { evaluateGates, type GateInput } from "../../lib/domain/rollout";

// Wednesday 2026-12-02 at 22:00 UTC is Thursday 07:00 in Tokyo (UTC+9) and Wednesday 17:00 in New York (UTC−5).
const WED_22_UTC = new Date("2026-12-02T22:00:00Z");
// Thursday 2026-12-03 at 10:30 UTC: inside office hours in UTC and in London.
const THU_1030_UTC = new Date("2026-12-03T10:30:00Z");

describe("time conditions", () => {
  it("reads the local weekday and clock of a time zone", () => {
    expect(localTime(WED_22_UTC, "Asia/Tokyo")).toEqual({ weekday: 4, hour: 7, minute: 0 });
    expect(localTime(WED_22_UTC, "America/New_York")).toEqual({ weekday: 3, hour: 17, minute: 0 });
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });

  it("office hours are Monday to Friday, 09:00 up to 17:00, in the zone", () => {
    expect(inOfficeHours(WED_22_UTC, "Asia/Tokyo")).toBe(false); // 07:00
    expect(inOfficeHours(WED_22_UTC, "America/New_York")).toBe(false); // 17:00 is closed
    expect(inOfficeHours(THU_1030_UTC, "UTC")).toBe(true);
    expect(inOfficeHours(new Date("2026-12-05T12:00:00Z"), "UTC")).toBe(false); // Saturday
  });

  it("says what still holds the phase back", () => {
    const c = {
      signerName: "Priya",
      conditions: "after the freeze",
      notBefore: new Date("2026-12-07T09:00:00Z"),
      officeHoursTimeZone: "Asia/Tokyo",
    };
    expect(timeConditionsUnmet(c, WED_22_UTC)).toEqual([
      "not before 2026-12-07 09:00 UTC",
      "only during office hours (Mon–Fri 09:00–17:00 Asia/Tokyo; it is Thu 07:00 there)",
    ]);
    expect(timeConditionsUnmet({ ...c, officeHoursTimeZone: "UTC" }, new Date("2026-12-07T10:00:00Z"))).toEqual([]);
  });
});

describe("the conditions gate", () => {
  const input = (approvals: GateInput["approvals"], now: Date): GateInput => ({
    status: "active",
    phases: [
      { name: "10 %", percent: 10, minSoakSeconds: 0, criteria: {}, requiredApprovals: 0, checklist: [], allowlist: [] },
      { name: "50 %", percent: 50, minSoakSeconds: 0, criteria: {}, requiredApprovals: 1, checklist: [], allowlist: [] },
    ],
    currentPhase: 0,
    phaseStartedAt: new Date(0),
    now,
    metrics: { requests: 0, errors: 0, p95Ms: null },
    approvals,
    ticked: new Set(),
    openIncidents: 0,
  });
  const conditional = {
    signerName: "Priya",
    decision: "conditional" as const,
    conditions: "Only outside the Friday release window",
    notBefore: null,
    officeHoursTimeZone: "UTC",
    void: false,
    superseded: false,
  };

  it("is absent without a conditional approval", () => {
    const gates = evaluateGates(input([{ ...conditional, decision: "approved" }], THU_1030_UTC));
    expect(gates.find((g) => g.name === "conditions")).toBeUndefined();
  });

  it("is red outside the signer's office hours and green, quoting the conditions, inside them", () => {
    expect(evaluateGates(input([conditional], WED_22_UTC)).find((g) => g.name === "conditions")).toEqual({
      name: "conditions",
      ok: false,
      reason: "approval condition not met: only during office hours (Mon–Fri 09:00–17:00 UTC; it is Wed 22:00 there) (Priya)",
    });
    expect(evaluateGates(input([conditional], THU_1030_UTC)).find((g) => g.name === "conditions")).toEqual({
      name: "conditions",
      ok: true,
      reason: "conditions to acknowledge when advancing: “Only outside the Friday release window” (Priya)",
    });
    // A void form's conditions no longer count.
    expect(evaluateGates(input([{ ...conditional, void: true }], WED_22_UTC)).find((g) => g.name === "conditions")).toBeUndefined();
  });
});
