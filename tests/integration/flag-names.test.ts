// Flags keep the names and buckets they had elsewhere: case-sensitive Unleash-style keys, and a
// bucketing group other than the key.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { bucketOf } from "../../lib/domain/bucketing";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

const eng = ROLE_TOKENS.engineer;

const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

const create = (body: Record<string, unknown>) => call(app.url, "POST", "/api/v1/flags", { token: eng, body });

describe("flag names and bucketing groups", () => {
  it("accepts Unleash-style names, case-sensitively, and still refuses spaces and slashes", async () => {
    expect((await create({ key: "Feature.A3" })).status).toBe(201);
    expect((await create({ key: "feature.a3" })).status).toBe(201);
    expect((await create({ key: "release~2" })).status).toBe(201);
    for (const key of ["has space", "a/b", ".dot-first", "x".repeat(101)]) {
      const res = await create({ key });
      expect(res.status, key).toBe(400);
      expect(res.body.error.fields, key).toEqual({
        key: "use 1–100 letters, digits, '.', '_', '~' or '-', starting with a letter or digit (case counts)",
      });
    }
    const got = await call(app.url, "GET", "/api/v1/flags/Feature.A3", { token: ROLE_TOKENS.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ key: "Feature.A3", bucketGroup: "Feature.A3" });
    expect((await call(app.url, "GET", "/api/v1/flags/feature.A3", { token: ROLE_TOKENS.viewer })).status).toBe(404);
  });

  it("buckets users by the flag's group: OFREP and the Unleash API agree with bucketOf(group, user)", async () => {
    const created = await create({ key: "checkout.NewFlow", bucketGroup: "legacy-group" });
    expect(created.status).toBe(201);
    expect(created.body.bucketGroup).toBe("legacy-group");
    expect((await patchFlagState(app.url, eng, "checkout.NewFlow", "production", { enabled: true, rolloutPercent: 30 })).status).toBe(200);
    const evaluate = async (user: string) =>
      (
        await call(app.url, "POST", "/ofrep/v1/evaluate/flags/checkout.NewFlow", {
          token: SDK_TOKEN,
          body: { context: { targetingKey: user } },
        })
      ).body;
    await eventually(async () => (await evaluate("u-0")).reason === "SPLIT", 5000, "the flag reaches the data plane");
    const bulk = await Promise.all(Array.from({ length: 400 }, (_, i) => evaluate(`u-${i}`)));
    let differsFromKey = 0;
    bulk.forEach((r, i) => {
      expect(r.value).toBe(bucketOf("legacy-group", `u-${i}`) <= 30);
      if (r.value !== bucketOf("checkout.NewFlow", `u-${i}`) <= 30) differsFromKey++;
    });
    expect(differsFromKey).toBeGreaterThan(50);
    const features = await fetch(`${app.url}/api/client/features`, { headers: { authorization: SDK_TOKEN } });
    const flow = (
      (await features.json()) as { features: { name: string; strategies: { parameters: Record<string, string> }[] }[] }
    ).features.find((f) => f.name === "checkout.NewFlow");
    expect(flow?.strategies.at(-1)?.parameters).toMatchObject({ groupId: "legacy-group", rollout: "30" });
  });

  it("refuses a bucketing group with padding or control characters, and creates nothing", async () => {
    for (const [bucketGroup, message] of [
      [" padded", "no leading or trailing spaces"],
      ["", "required"],
      ["tab\there", "contains control characters"],
      [7, "bucketGroup must be text"],
    ] as const) {
      const res = await create({ key: "grouped-bad", bucketGroup });
      expect(res.status).toBe(400);
      expect(res.body.error.fields, JSON.stringify(bucketGroup)).toEqual({ bucketGroup: message });
    }
    expect((await call(app.url, "GET", "/api/v1/flags/grouped-bad", { token: eng })).status).toBe(404);
  });
});
