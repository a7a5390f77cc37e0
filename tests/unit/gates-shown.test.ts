import { describe, expect, it } from "vitest";
import { gatesFailingSince, passingGateNames, type Gate } from "../../lib/domain/rollout";

const gate = (name: Gate["name"], ok: boolean, reason: string = name): Gate => ({ name, ok, reason });

describe("gates a signer was shown passing", () => {
  it("names each passing gate once; a name that several gates share passes only when all do", () => {
    const gates = [
      gate("soak", true),
      gate("telemetry", true),
      gate("telemetry", false),
      gate("incidents", true),
      gate("approvals", false),
    ];
    expect(passingGateNames(gates)).toEqual(["soak", "incidents"]);
    expect(passingGateNames([])).toEqual([]);
  });

  it("finds those of them that fail now, with their reasons, and ignores the ones shown failing", () => {
    const now = [
      gate("soak", true),
      gate("incidents", false, "1 open incident"),
      gate("approvals", false),
      gate("error rate", false, "2 % > 1 %"),
    ];
    expect(gatesFailingSince(["soak", "incidents", "error rate"], now)).toEqual([
      gate("incidents", false, "1 open incident"),
      gate("error rate", false, "2 % > 1 %"),
    ]);
    expect(gatesFailingSince(["soak"], now)).toEqual([]);
    expect(gatesFailingSince([], now)).toEqual([]);
  });
});
