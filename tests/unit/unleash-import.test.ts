import { describe, expect, it } from "vitest";
import {
  dependencyProblems,
  mapUnleashFlag,
  readUnleashExport,
  readUnleashSegments,
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
    parents: [],
    project: null as string | null,
    tags: [] as string[],
    environments: new Map([["production", { enabled, strategies, variants }]]),
    ...rest,
  } satisfies UnleashFlag;
};

/** Mapped for an importer that stores targeting (the spec and client API tests use the same). */
const map = (flag: UnleashFlag, options: Parameters<typeof mapUnleashFlag>[1] = {}) =>
  mapUnleashFlag(flag, { storesTargeting: true, ...options });

/** The one environment's mapping. */
const mapOne = (strategies: UnleashStrategy[], over: Parameters<typeof flagWith>[1] = {}) =>
  map(flagWith(strategies, over)).environments.get("production")!;

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
      parents: [],
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

const plain = (rolloutPercent: number, allowlist: string[] = [], enabled = true) => ({ enabled, rolloutPercent, allowlist });
/** The targeting form: no plain rollout, these strategies (each with no variants unless given). */
const targeted = (strategies: object[], more: { variants?: object[]; dependencies?: object[] } = {}) => ({
  enabled: true,
  rolloutPercent: 0,
  allowlist: [],
  targeting: { strategies, variants: more.variants ?? [], dependencies: more.dependencies ?? [] },
});
const rs = (rollout: number, stickiness: string, groupId: string, over: object = {}) => ({
  rollout,
  stickiness,
  groupId,
  constraints: [],
  segments: [],
  variants: [],
  ...over,
});

describe("mapUnleashFlag: what a plain rollout reproduces stays one", () => {
  it("an enabled environment without strategies is on for everyone", () => {
    expect(mapOne([])).toEqual({ state: plain(100), problems: [] });
  });

  it("only disabled strategies count as none (Unleash does not evaluate disabled strategies)", () => {
    expect(mapOne([strategy("remoteAddress", {}, { disabled: true })])).toEqual({ state: plain(100), problems: [] });
  });

  it("the default (standard) strategy is 100 %, whatever else is there", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "10", groupId: "g" }), strategy("default")]).state).toEqual(plain(100));
  });

  it("a disabled environment keeps its mapping, switched off", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "40", stickiness: "userId", groupId: "g" })], { enabled: false })).toEqual({
      state: plain(40, [], false),
      problems: [],
    });
  });

  it.each([
    ["flexibleRollout", { rollout: "25", stickiness: "userId", groupId: "g" }, 25],
    ["flexibleRollout", { rollout: 60, stickiness: "userId", groupId: "g" }, 60], // a number, as some exports have it
    ["flexibleRollout", { rollout: "100", stickiness: "default", groupId: "g" }, 100],
    ["flexibleRollout", { rollout: "0", groupId: "g" }, 0],
    ["gradualRolloutUserId", { percentage: "30", groupId: "g" }, 30],
  ])("%s %o is %i % (user-sticky, in its group)", (name, parameters, percent) => {
    expect(mapOne([strategy(name, parameters)])).toEqual({ state: plain(percent), problems: [] });
  });

  it("userWithId is the allowlist, without repeats, in order", () => {
    expect(mapOne([strategy("userWithId", { userIds: "qa-1, qa-2,qa-1 ,qa-3" })])).toEqual({
      state: plain(0, ["qa-1", "qa-2", "qa-3"]),
      problems: [],
    });
  });

  it("userWithId and a user-sticky rollout add up: the allowlist plus the percentage", () => {
    const mapped = map(
      flagWith([
        strategy("userWithId", { userIds: "qa-1" }),
        strategy("flexibleRollout", { rollout: "20", stickiness: "userId", groupId: "g" }),
      ]),
    );
    expect(mapped.environments.get("production")!.state).toEqual(plain(20, ["qa-1"]));
    expect(mapped.bucketGroup).toBe("g");
  });

  it("keeps the key and description", () => {
    expect(map(flagWith([], { description: "one-click checkout" }))).toMatchObject({
      key: "Checkout.OneClick",
      description: "one-click checkout",
      problems: [],
    });
  });
});

describe("mapUnleashFlag: everything else is targeting, exactly", () => {
  it("default stickiness (user, then session, then random) is a strategy, not the plain user bucket", () => {
    expect(mapOne([strategy("flexibleRollout", { rollout: "25", stickiness: "default", groupId: "g" })])).toEqual({
      state: targeted([rs(25, "default", "g")]),
      problems: [],
    });
  });

  it.each([
    ["gradualRolloutSessionId", { percentage: "5", groupId: "g" }, rs(5, "sessionId", "g")],
    ["gradualRolloutRandom", { percentage: "5" }, rs(5, "random", "")],
    ["flexibleRollout", { rollout: "30", stickiness: "tenantId", groupId: "g" }, rs(30, "tenantId", "g")],
    // At 100 % a user-sticky rollout still needs the user id in Unleash.
    ["flexibleRollout", { rollout: "100", stickiness: "userId", groupId: "g" }, rs(100, "userId", "g")],
    ["gradualRolloutUserId", { percentage: "100" }, rs(100, "userId", "")],
  ])("%s %o", (name, parameters, expected) => {
    expect(mapOne([strategy(name, parameters)])).toEqual({ state: targeted([expected]), problems: [] });
  });

  it.each([
    ["50.5", 50],
    ["101", 100],
    ["1e9", 100],
  ])("a percentage of '%s' is %i, as Unleash compares a bucket with it", (rollout, percent) => {
    expect(
      mapOne([strategy("flexibleRollout", { rollout, stickiness: "sessionId", groupId: "g" })]).state.targeting!.strategies[0]!.rollout,
    ).toBe(percent);
  });

  it.each(["-1", "half", ""])("a percentage of '%s' never matches: the strategy is 0 %", (rollout) => {
    expect(mapOne([strategy("flexibleRollout", { rollout, groupId: "g" })]).state).toEqual(plain(0));
  });

  it("constraints and strategy variants stay on their strategy; the environment's variants on the flag", () => {
    const c = { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"], caseInsensitive: true };
    const v = { name: "blue", weight: 1000, stickiness: "default", payload: { type: "json", value: '{"a":1}' } };
    const mapped = mapOne([strategy("default", {}, { constraints: [c], variants: [v] })], { variants: [{ name: "red", weight: 1 }] });
    expect(mapped).toEqual({
      state: targeted([rs(100, "default", "undefined", { constraints: [c], variants: [v] })], { variants: [{ name: "red", weight: 1 }] }),
      problems: [],
    });
  });

  it("remoteAddress: the addresses as listed, or inside an IPv4 range listed", () => {
    expect(mapOne([strategy("remoteAddress", { IPs: "10.0.0.0/8, ::1" })]).state.targeting!.strategies).toEqual([
      rs(100, "default", "undefined", { constraints: [{ contextName: "remoteAddress", operator: "IN", values: ["10.0.0.0/8", "::1"] }] }),
      rs(100, "default", "undefined", { constraints: [{ contextName: "remoteAddress", operator: "IN_CIDR", values: ["10.0.0.0/8"] }] }),
    ]);
  });

  it("a strategy's title is kept; userWithId without ids never matches, so it goes", () => {
    expect(
      mapOne([strategy("flexibleRollout", { rollout: "30", groupId: "g" }, { title: "Canada 30 %" })]).state.targeting!.strategies[0]!
        .title,
    ).toBe("Canada 30 %");
    expect(mapOne([strategy("userWithId", { userIds: "" })])).toEqual({ state: plain(0), problems: [] });
  });

  it("more users than an allowlist holds are a userId constraint", () => {
    const ids = Array.from({ length: 1203 }, (_, i) => `user-${i}`);
    const mapped = mapOne([strategy("userWithId", { userIds: ids.join(",") })]);
    expect(mapped.problems).toEqual([]);
    expect(mapped.state.targeting!.strategies[0]!.constraints).toEqual([{ contextName: "userId", operator: "IN", values: ids }]);
  });

  it("several percentages are several strategies (on when any matches)", () => {
    const mapped = mapOne([
      strategy("flexibleRollout", { rollout: "10", stickiness: "userId", groupId: "g" }),
      strategy("flexibleRollout", { rollout: "30", stickiness: "userId", groupId: "g" }),
    ]);
    expect(mapped).toEqual({ state: targeted([rs(10, "userId", "g"), rs(30, "userId", "g")]), problems: [] });
  });

  it("segments: kept by id when the export has them; a strategy naming a missing one never matches, so it goes", () => {
    const segments = readUnleashSegments({
      segments: [{ id: 7, name: "Staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@a.com"] }] }],
    });
    expect(segments.get(7)!.segment).toEqual({
      id: 7,
      name: "Staff",
      constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@a.com"] }],
    });
    const flag = flagWith([strategy("default", {}, { segments: [7] }), strategy("default", {}, { segments: [404] })]);
    expect(map(flag, { segments }).environments.get("production")).toEqual({
      state: targeted([rs(100, "default", "undefined", { segments: [7] })]),
      problems: [],
    });
    // Without the export's segments, a strategy using one cannot be judged.
    expect(map(flag).environments.get("production")!.problems).toEqual(["segments on default", "segments on default"]);
  });

  it("dependencies are the flag's; a parent imported with problems is named on the child", () => {
    const child = flagWith([], { name: "child", parents: [{ feature: "parent", variants: ["blue"] }] });
    const parent = flagWith([strategy("applicationHostname", { hostNames: "a" })], { name: "parent" });
    const mapped = [map(child), map(parent)];
    expect(mapped[0]!.environments.get("production")!.state).toEqual({
      ...plain(100),
      targeting: { strategies: [], variants: [], dependencies: [{ feature: "parent", variants: ["blue"] }] },
    });
    expect(dependencyProblems(mapped)).toEqual(
      new Map([["child", new Map([["production", ["depends on 'parent', which is not imported exactly"]]])]]),
    );
  });

  it("a user-sticky rollout in another group than the flag's is targeting in that environment", () => {
    const flag: UnleashFlag = {
      ...flagWith([]),
      environments: new Map([
        [
          "production",
          { enabled: true, strategies: [strategy("flexibleRollout", { rollout: "10", stickiness: "userId", groupId: "a" })], variants: [] },
        ],
        [
          "staging",
          { enabled: true, strategies: [strategy("flexibleRollout", { rollout: "90", stickiness: "userId", groupId: "b" })], variants: [] },
        ],
      ]),
    };
    const mapped = map(flag);
    expect(mapped.bucketGroup).toBe("a");
    expect(mapped.environments.get("production")!.state).toEqual(plain(10));
    expect(mapped.environments.get("staging")!.state).toEqual(targeted([rs(90, "userId", "b")]));
  });
});

describe("mapUnleashFlag: what does not reproduce is named", () => {
  it("an importer that does not store targeting gets every environment needing it named, so it imports it disabled", () => {
    const flag = flagWith([strategy("flexibleRollout", { rollout: "25", stickiness: "default", groupId: "g" })], {
      variants: [{ name: "v", weight: 1 }],
    });
    expect(mapUnleashFlag(flag).environments.get("production")!.problems).toEqual([
      "needs targeting rules (1 strategy, variants), which this import does not store",
    ]);
    // What a plain rollout says needs nothing more.
    expect(mapUnleashFlag(flagWith([strategy("userWithId", { userIds: "a" })])).environments.get("production")!.problems).toEqual([]);
  });

  it.each([
    [strategy("applicationHostname", { hostNames: "web-1" }), "the applicationHostname strategy (it depends on the host that evaluates)"],
    [strategy("myCustomStrategy"), "the myCustomStrategy strategy"],
    [strategy(""), "the unnamed strategy"],
    [strategy("flexibleRollout", { rollout: "10" }), "flexibleRollout without a groupId (Unleash SDKs bucket it differently)"],
    [strategy("userWithId", { userIds: "a,,b" }), "userWithId lists an empty or space-padded entry"],
    [
      strategy("default", {}, { constraints: [{ contextName: "x", operator: "GEO_NEAR", values: [] }] }),
      "the constraint operator 'GEO_NEAR' on default",
    ],
    [
      strategy("default", {}, { constraints: [{ contextName: "x", operator: "REGEX", value: "\\p{Greek}" }] }),
      "regular expression '\\p{Greek}': the escape \\p on default",
    ],
    [
      strategy("default", {}, { variants: [{ name: "a", weight: 1, payload: { type: "xml", value: "<a/>" } }] }),
      "variant 'a' has a payload of type 'xml'",
    ],
  ])("%o", (s, problem) => {
    expect(mapOne([s]).problems).toEqual([problem]);
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
