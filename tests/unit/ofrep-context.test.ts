import { describe, expect, it } from "vitest";
import { contextFromOfrep } from "../../lib/domain/targeting/ofrep-context";

describe("OFREP context → targeting context", () => {
  it("reads targetingKey as the user id and the token's environment by default", () => {
    expect(contextFromOfrep({ targetingKey: "u-1" }, "production")).toEqual({ userId: "u-1", environment: "production" });
  });

  it("lets an explicit userId attribute win over targetingKey, in either order", () => {
    expect(contextFromOfrep({ userId: "explicit", targetingKey: "tk" }, "p").userId).toBe("explicit");
    expect(contextFromOfrep({ targetingKey: "tk", userId: "explicit" }, "p").userId).toBe("explicit");
  });

  it("maps Unleash's own fields onto themselves and everything else to properties, as text", () => {
    expect(
      contextFromOfrep(
        {
          targetingKey: "u",
          sessionId: "s",
          remoteAddress: "10.0.0.1",
          environment: "dev",
          appName: "web",
          currentTime: "2026-01-01T00:00:00Z",
          email: "a@acme.com",
          seats: 12,
          beta: true,
        },
        "production",
      ),
    ).toEqual({
      userId: "u",
      sessionId: "s",
      remoteAddress: "10.0.0.1",
      environment: "dev",
      appName: "web",
      currentTime: "2026-01-01T00:00:00Z",
      properties: { email: "a@acme.com", seats: "12", beta: "true" },
    });
  });

  it("leaves out what no operator compares: objects, lists, null, non-finite numbers", () => {
    expect(contextFromOfrep({ targetingKey: "u", org: { id: 1 }, tags: ["a"], none: null, big: Infinity }, "p")).toEqual({
      userId: "u",
      environment: "p",
    });
  });
});
