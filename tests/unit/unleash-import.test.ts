import { describe, expect, it } from "vitest";
import {
  mapUnleashFlag,
  readUnleashExport,
  unleashEnvironments,
  type UnleashFlag,
  type UnleashStrategy,
} from "../../lib/domain/unleash-import";

const strategy = (name: string, parameters: Record<string, unknown> = {}, over: Partial<UnleashStrategy> = {}): UnleashStrategy => ({
  name,
  parameters,
  constraints: [],
  segments: [],
  variants: [],
  disabled: false,
  ...over,
});

/** A flag with one environment ("production", enabled unless said otherwise) holding these strategies. */
const flagWith = (strategies: UnleashStrategy[], over: Partial<UnleashFlag> & { enabled?: boolean; variants?: unknown[] } = {}) => {
  const { enabled = true, variants = [], ...rest } = over;
  return {
    name: "Checkout.OneClick",
    description: "",
    archived: false,
    dependencies: 0,
    project: null as string | null,
    tags: [] as string[],
    environments: new Map([["production", { enabled, strategies, variants }]]),
    ...rest,
  } satisfies UnleashFlag;
};

/** The one environment's mapping. */
const mapOne = (strategies: UnleashStrategy[], over: Parameters<typeof flagWith>[1] = {}) =>
  mapUnleashFlag(flagWith(strategies, over)).environments.get("production")!;

describe("readUnleashExport: what is not an export", () => {
  it.each([
    ["null", null],
    ["a list", [{ name: "a" }]],
    ["a string", "features"],
    ["an object without features", { version: 1 }],
    ["features that are not a list", { features: { name: "a" } }],
  ])("%s is refused, naming the missing list", (_what, doc) => {
    expect(() => readUnleashExport(doc)).toThrow("not an Unleash export: there is no `features` list");
  });

  it.each([
    ["no name", { enabled: true, strategies: [] }],
    ["an empty name", { name: "", enabled: true, strategies: [] }],
    ["a name that is an object", { name: { en: "a" }, strategies: [] }],
    ["not an object at all", "just-a-name"],
  ])("a feature with %s is refused", (_what, feature) => {
    expect(() => readUnleashExport({ version: 1, features: [{ name: "ok", strategies: [] }, feature] })).toThrow(
      "not an Unleash export: a feature has no name",
    );
  });

  it("a feature named twice is refused: which one to import would be a guess", () => {
    expect(() => readUnleashExport({ features: [{ name: "Dup" }, { name: "other" }, { name: "Dup" }] })).toThrow(
      "the export names the feature 'Dup' more than once",
    );
  });

  it("names are case-sensitive, as in Unleash: 'A' and 'a' are two features", () => {
    expect(readUnleashExport({ features: [{ name: "A" }, { name: "a" }] }).map((f) => f.name)).toEqual(["A", "a"]);
  });

  it("an empty features list is an empty export, not an error", () => {
    expect(readUnleashExport({ features: [] })).toEqual([]);
  });
});

describe("readUnleashExport: the older state export", () => {
  it("has one environment, 'default', with the feature's own enabled flag, strategies and variants", () => {
    const [flag, ...rest] = readUnleashExport({
      version: 1,
      features: [
        {
          name: "Feature.A",
          description: "first",
          enabled: true,
          strategies: [{ name: "flexibleRollout", parameters: { rollout: "30" }, constraints: [{ contextName: "appName" }] }],
          variants: [{ name: "blue" }],
        },
        { name: 42, enabled: "yes", strategies: [] },
      ],
    });
    expect(flag).toEqual({
      name: "Feature.A",
      description: "first",
      archived: false,
      dependencies: 0,
      project: null,
      tags: [],
      environments: new Map([
        [
          "default",
          {
            enabled: true,
            strategies: [strategy("flexibleRollout", { rollout: "30" }, { constraints: [{ contextName: "appName" }] })],
            variants: [{ name: "blue" }],
          },
        ],
      ]),
    });
    // A numeric name is read as text; only `true` enables (not "yes").
    expect(rest).toHaveLength(1);
    expect(rest[0]!.name).toBe("42");
    expect(rest[0]!.environments.get("default")).toEqual({ enabled: false, strategies: [], variants: [] });
  });

  it("fills in what a strategy leaves out, and ignores what is of the wrong type", () => {
    const [flag] = readUnleashExport({
      features: [{ name: "f", enabled: true, strategies: [{ parameters: "x", constraints: {}, disabled: "true" }, null] }],
    });
    expect(flag!.environments.get("default")!.strategies).toEqual([strategy(""), strategy("")]);
  });
});

describe("readUnleashExport: the feature export (Unleash 5+)", () => {
  const doc = {
    features: [
      { name: "checkout.NewFlow", description: "new checkout", dependencies: [{ feature: "parent" }] },
      { name: "gone", archived: true },
      { name: "gone-too", archivedAt: "2026-01-01T00:00:00Z" },
      { name: "kept", archivedAt: null, archived: "yes" },
    ],
    featureEnvironments: [
      { featureName: "checkout.NewFlow", environment: "production", enabled: true, variants: [{ name: "v" }] },
      { featureName: "checkout.NewFlow", environment: "development", enabled: false },
      { name: "kept", environment: "production", enabled: true }, // older exports say `name`
      { featureName: "not-in-features", environment: "production", enabled: true },
      { featureName: "kept" }, // no environment: ignored
    ],
    featureStrategies: [
      { featureName: "checkout.NewFlow", environment: "production", name: "flexibleRollout", parameters: { rollout: "25" } },
      { featureName: "checkout.NewFlow", environment: "production", name: "userWithId", parameters: { userIds: "qa-1" } },
      { featureName: "checkout.NewFlow", environment: "staging", name: "default" }, // no featureEnvironments row
      { featureName: "not-in-features", environment: "production", name: "default" },
      { featureName: "kept", name: "default" }, // no environment: ignored
    ],
    dependencies: [
      { feature: "kept", dependencies: [{ feature: "a" }, { feature: "b" }] },
      { child: "gone", dependencies: [] },
      { feature: "not-in-features", dependencies: [{ feature: "a" }] },
    ],
  };
  const flags = readUnleashExport(doc);
  const byName = new Map(flags.map((f) => [f.name, f]));

  it("reads every feature, in order, and only those in `features`", () => {
    expect(flags.map((f) => f.name)).toEqual(["checkout.NewFlow", "gone", "gone-too", "kept"]);
  });

  it("puts each strategy in its feature's environment, in order", () => {
    const flow = byName.get("checkout.NewFlow")!;
    expect([...flow.environments.keys()]).toEqual(["production", "development", "staging"]);
    expect(flow.environments.get("production")).toEqual({
      enabled: true,
      strategies: [strategy("flexibleRollout", { rollout: "25" }), strategy("userWithId", { userIds: "qa-1" })],
      variants: [{ name: "v" }],
    });
    expect(flow.environments.get("development")).toEqual({ enabled: false, strategies: [], variants: [] });
  });

  it("a strategy in an environment without a featureEnvironments row makes that environment, disabled", () => {
    expect(byName.get("checkout.NewFlow")!.environments.get("staging")).toEqual({
      enabled: false,
      strategies: [strategy("default")],
      variants: [],
    });
  });

  it("reads `name` where older exports have it instead of `featureName`", () => {
    expect([...byName.get("kept")!.environments.keys()]).toEqual(["production"]);
  });

  it("archived is `archived: true` or an `archivedAt` date", () => {
    expect(flags.map((f) => [f.name, f.archived])).toEqual([
      ["checkout.NewFlow", false],
      ["gone", true],
      ["gone-too", true],
      ["kept", false],
    ]);
  });

  it("counts dependencies from the feature and from the export's dependencies list (at least one per entry)", () => {
    expect(flags.map((f) => [f.name, f.dependencies])).toEqual([
      ["checkout.NewFlow", 1],
      ["gone", 1],
      ["gone-too", 0],
      ["kept", 2],
    ]);
  });

  it("features that carry `strategies` are still a feature export when the export has featureStrategies", () => {
    const [flag] = readUnleashExport({
      features: [{ name: "f", strategies: [{ name: "default" }] }],
      featureStrategies: [{ featureName: "f", environment: "production", name: "userWithId", parameters: { userIds: "u" } }],
    });
    expect([...flag!.environments.keys()]).toEqual(["production"]);
  });

  it("unleashEnvironments lists every environment once, sorted", () => {
    expect(unleashEnvironments(flags)).toEqual(["development", "production", "staging"]);
    expect(unleashEnvironments([])).toEqual([]);
  });
});

describe("mapUnleashFlag: what reproduces exactly", () => {
  it("an enabled environment without strategies is on for everyone", () => {
    expect(mapOne([])).toEqual({ state: { enabled: true, rolloutPercent: 100, allowlist: [] }, problems: [] });
  });

  it("only disabled strategies count as none (Unleash does not evaluate disabled strategies)", () => {
    expect(mapOne([strategy("remoteAddress", {}, { disabled: true })])).toEqual({
      state: { enabled: true, rolloutPercent: 100, allowlist: [] },
      problems: [],
    });
  });

  it("the default (standard) strategy is 100 %, whatever else is there", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "10" }), strategy("default")]).state.rolloutPercent).toBe(100);
  });

  it("a disabled environment keeps its mapping, switched off", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "40" })], { enabled: false })).toEqual({
      state: { enabled: false, rolloutPercent: 40, allowlist: [] },
      problems: [],
    });
  });

  it.each([
    ["flexibleRollout", { rollout: "25", stickiness: "default" }, 25],
    ["flexibleRollout", { rollout: "0" }, 0],
    ["flexibleRollout", { rollout: 60, stickiness: "userId" }, 60], // a number, as some exports have it
    ["flexibleRollout", { rollout: "100", stickiness: "default" }, 100],
    ["gradualRolloutUserId", { percentage: "30" }, 30],
    ["gradualRolloutSessionId", { percentage: "5" }, 5],
  ])("%s %o is %i %", (name, parameters, percent) => {
    expect(mapOne([strategy(name, parameters)])).toEqual({
      state: { enabled: true, rolloutPercent: percent, allowlist: [] },
      problems: [],
    });
  });

  it("userWithId is the allowlist: trimmed, without empty entries or repeats, in order", () => {
    expect(mapOne([strategy("userWithId", { userIds: " qa-1, qa-2,,qa-1 , qa-3" })])).toEqual({
      state: { enabled: true, rolloutPercent: 0, allowlist: ["qa-1", "qa-2", "qa-3"] },
      problems: [],
    });
  });

  it("userWithId and a rollout add up: the allowlist plus the percentage", () => {
    expect(mapOne([strategy("userWithId", { userIds: "qa-1" }), strategy("flexibleRollout", { rollout: "20" })]).state).toEqual({
      enabled: true,
      rolloutPercent: 20,
      allowlist: ["qa-1"],
    });
  });

  it("the same percentage twice is one rollout", () => {
    expect(
      mapOne([strategy("flexibleRollout", { rollout: "20" }), strategy("gradualRolloutUserId", { percentage: "20" })]).problems,
    ).toEqual([]);
  });

  it("buckets by the rollout's groupId, else by the flag's name", () => {
    expect(mapUnleashFlag(flagWith([strategy("flexibleRollout", { rollout: "10", groupId: "checkout" })])).bucketGroup).toBe("checkout");
    expect(mapUnleashFlag(flagWith([strategy("flexibleRollout", { rollout: "10", groupId: "" })])).bucketGroup).toBe("Checkout.OneClick");
    expect(mapUnleashFlag(flagWith([strategy("default")])).bucketGroup).toBe("Checkout.OneClick");
  });

  it("keeps the key and description", () => {
    expect(mapUnleashFlag(flagWith([], { description: "one-click checkout" }))).toMatchObject({
      key: "Checkout.OneClick",
      description: "one-click checkout",
      problems: [],
    });
  });
});

describe("mapUnleashFlag: what does not reproduce is named", () => {
  it.each([
    ["flexibleRollout", { rollout: "50.5" }, "flexibleRollout with a rollout of '50.5'"],
    ["flexibleRollout", { rollout: "101" }, "flexibleRollout with a rollout of '101'"],
    ["flexibleRollout", { rollout: "-1" }, "flexibleRollout with a rollout of '-1'"],
    ["flexibleRollout", { rollout: "half" }, "flexibleRollout with a rollout of 'half'"],
    ["gradualRolloutUserId", { percentage: "1e9" }, "gradualRolloutUserId with a rollout of '1e9'"],
  ])("%s %o: a percentage Rollgate cannot hold", (name, parameters, problem) => {
    expect(mapOne([strategy(name, parameters)])).toEqual({
      state: { enabled: true, rolloutPercent: 0, allowlist: [] },
      problems: [problem],
    });
  });

  it.each([
    [
      "flexibleRollout",
      { rollout: "100", stickiness: "userId" },
      "flexibleRollout at 100 % is off in Unleash without a user id, on in Rollgate",
    ],
    [
      "flexibleRollout",
      { rollout: "100", stickiness: "sessionId" },
      "flexibleRollout at 100 % is off in Unleash without a session id, on in Rollgate",
    ],
    ["gradualRolloutUserId", { percentage: "100" }, "gradualRolloutUserId at 100 % is off in Unleash without a user id, on in Rollgate"],
    [
      "gradualRolloutSessionId",
      { percentage: "100" },
      "gradualRolloutSessionId at 100 % is off in Unleash without a session id, on in Rollgate",
    ],
  ])("%s %o: 100 % that needs an id in Unleash", (name, parameters, problem) => {
    expect(mapOne([strategy(name, parameters)])).toEqual({
      state: { enabled: true, rolloutPercent: 100, allowlist: [] },
      problems: [problem],
    });
  });

  it("custom stickiness", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "30", stickiness: "tenantId" })]).problems).toEqual([
      "custom stickiness 'tenantId'",
    ]);
  });

  it("constraints, segments and variants, on the strategy or the environment", () => {
    const rich = strategy("flexibleRollout", { rollout: "30" }, { constraints: [{}], segments: [1], variants: [{ name: "a" }] });
    expect(mapOne([rich], { variants: [{ name: "blue" }] }).problems).toEqual([
      "variants (Rollgate flags are on/off)",
      "constraints on flexibleRollout",
      "segments on flexibleRollout",
      "strategy variants on flexibleRollout",
    ]);
  });

  it("strategies Rollgate has no counterpart for, named (or 'unnamed')", () => {
    expect(mapOne([strategy("remoteAddress", { IPs: "10.0.0.1" }), strategy("")]).problems).toEqual([
      "the remoteAddress strategy",
      "the unnamed strategy",
    ]);
  });

  it("several different percentages: the largest wins, and it is said once, however many there are", () => {
    expect(
      mapOne([
        strategy("flexibleRollout", { rollout: "10" }),
        strategy("flexibleRollout", { rollout: "30" }),
        strategy("gradualRolloutUserId", { percentage: "20" }),
      ]),
    ).toEqual({ state: { enabled: true, rolloutPercent: 30, allowlist: [] }, problems: ["several percentage rollouts"] });
  });

  it("more users than an allowlist holds: the first 1000 are kept and the rest is named, not dropped silently", () => {
    const ids = Array.from({ length: 1203 }, (_, i) => `user-${i}`);
    const mapped = mapOne([strategy("userWithId", { userIds: ids.join(",") })]);
    expect(mapped.state.allowlist).toEqual(ids.slice(0, 1000));
    expect(mapped.problems).toEqual(["userWithId lists 1203 users; a Rollgate allowlist holds 1000"]);
    // Exactly 1000 fits (repeats do not count).
    expect(mapOne([strategy("userWithId", { userIds: [...ids.slice(0, 1000), "user-0"].join(",") })]).problems).toEqual([]);
  });

  it("dependencies on other features hold in every environment", () => {
    expect(mapUnleashFlag(flagWith([], { dependencies: 2 })).problems).toEqual([
      "depends on other features (Rollgate has no dependencies)",
    ]);
  });

  it("rollouts bucketing by different groups in different environments", () => {
    const flag: UnleashFlag = {
      ...flagWith([]),
      environments: new Map([
        ["production", { enabled: true, strategies: [strategy("flexibleRollout", { rollout: "10", groupId: "a" })], variants: [] }],
        ["staging", { enabled: true, strategies: [strategy("flexibleRollout", { rollout: "90" })], variants: [] }],
      ]),
    };
    const mapped = mapUnleashFlag(flag);
    expect(mapped.problems).toEqual(["rollouts bucket by several groups (a, Checkout.OneClick)"]);
    expect(mapped.bucketGroup).toBe("a");
    expect([...mapped.environments].map(([env, e]) => [env, e.state.rolloutPercent, e.problems])).toEqual([
      ["production", 10, []],
      ["staging", 90, []],
    ]);
  });
});

describe("reading and mapping together", () => {
  it("the state export's 'default' environment maps like any other", () => {
    const [flag] = readUnleashExport({
      version: 1,
      features: [
        { name: "f", enabled: true, strategies: [{ name: "gradualRolloutUserId", parameters: { percentage: "15", groupId: "g" } }] },
      ],
    });
    const mapped = mapUnleashFlag(flag!);
    expect(mapped.bucketGroup).toBe("g");
    expect(mapped.environments).toEqual(
      new Map([["default", { state: { enabled: true, rolloutPercent: 15, allowlist: [] }, problems: [] }]]),
    );
  });
});

describe("owner and tags from the export (issue 26)", () => {
  it("reads each feature's project and its featureTags, as an owner and slugs", () => {
    const [checkout, plain] = readUnleashExport({
      features: [
        { name: "checkout", project: "team-payments", enabled: true, strategies: [] },
        { name: "plain", project: "default", enabled: true, strategies: [] },
      ],
      featureTags: [
        { featureName: "checkout", tagType: "simple", tagValue: "Q3 Cleanup!" },
        { featureName: "checkout", tag: { type: "simple", value: "payments" } },
        { featureName: "checkout", tagType: "simple", tagValue: "payments" },
        { featureName: "nobody", tagType: "simple", tagValue: "lost" },
      ],
    });
    expect(mapUnleashFlag(checkout!)).toMatchObject({ owner: "team-payments", tags: ["q3-cleanup", "payments"] });
    expect(mapUnleashFlag(plain!)).toMatchObject({ owner: null, tags: [] });
  });

  it("keeps 20 tags and says so", () => {
    const mapped = mapUnleashFlag(flagWith([], { tags: Array.from({ length: 25 }, (_, i) => `t${i}`) }));
    expect(mapped.tags).toHaveLength(20);
    expect(mapped.problems).toContain("25 tags; a Rollgate flag keeps 20");
  });
});
