// The real unleash-client, given what Rollgate's client API sends (toUnleashFeatures) for every
// @unleash/client-specification state imported into Rollgate, answers every case as Rollgate's own
// evaluator does: the client API mapping loses nothing. The client is built offline on an in-memory
// repository, the way Unleash's own SDK wires it.
import { describe, expect, it } from "vitest";
import UnleashClient from "unleash-client/lib/client";
import { defaultStrategies } from "unleash-client/lib/strategy";
import { toUnleashFeatures, type UnleashFeature } from "../../lib/domain/unleash-features";
import { importSpecState, rollgateAnswer, specFiles } from "../support/unleash-spec";

function clientFor(features: UnleashFeature[]) {
  const byName = new Map(features.map((f) => [f.name, f]));
  const repository = { getToggle: (name: string) => byName.get(name), getSegment: () => undefined };
  return new UnleashClient(repository as never, defaultStrategies);
}

const rows = specFiles().flatMap((spec) => {
  const imported = importSpecState(spec.state);
  const client = clientFor(toUnleashFeatures(imported.snapshot).features);
  const cases = [...(spec.tests ?? []).map((c) => [c, false] as const), ...(spec.variantTests ?? []).map((c) => [c, true] as const)];
  return cases.map(([c, variant]) => {
    let theirs: unknown;
    if (!variant) theirs = client.isEnabled(c.toggleName, c.context as never, () => false);
    else {
      const v = client.getVariant(c.toggleName, c.context as never);
      theirs = { name: v.name, ...(v.payload ? { payload: v.payload } : {}), enabled: v.enabled, feature_enabled: v.feature_enabled };
    }
    return { file: spec.file, name: `${c.toggleName}: ${c.description}`, ours: rollgateAnswer(imported, c, variant), theirs };
  });
});

describe("unleash-client reading Rollgate's client API agrees with Rollgate", () => {
  it("on all 279 specification cases", () => {
    expect(rows).toHaveLength(279);
    const disagreements = rows.filter((r) => JSON.stringify(r.ours) !== JSON.stringify(r.theirs));
    expect(disagreements).toEqual([]);
  });
});

describe("and on many more subjects than the specification's", () => {
  it("every specification flag, for 300 users and sessions per case context (deterministic stickiness only)", () => {
    let compared = 0;
    const disagreements: string[] = [];
    for (const spec of specFiles()) {
      const imported = importSpecState(spec.state);
      const client = clientFor(toUnleashFeatures(imported.snapshot).features);
      for (const c of [...(spec.tests ?? []), ...(spec.variantTests ?? [])]) {
        for (let i = 0; i < 300; i++) {
          // Every sticky field present (the spec's custom ones too), so no answer is a random draw.
          const properties = { customField: `c${i * 31}`, clientId: `k${i * 17}`, ...c.context.properties };
          const context = { ...c.context, userId: `u${i * 7919}`, sessionId: `s${i * 104729}`, properties };
          const probe = { ...c, context };
          for (const variant of [false, true]) {
            const ours = rollgateAnswer(imported, probe, variant);
            let theirs: unknown;
            if (!variant) theirs = client.isEnabled(c.toggleName, context as never, () => false);
            else {
              const v = client.getVariant(c.toggleName, context as never);
              theirs = {
                name: v.name,
                ...(v.payload ? { payload: v.payload } : {}),
                enabled: v.enabled,
                feature_enabled: v.feature_enabled,
              };
            }
            compared++;
            if (JSON.stringify(ours) !== JSON.stringify(theirs) && disagreements.length < 10)
              disagreements.push(
                `${spec.file} ${c.toggleName} ${JSON.stringify(context)}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`,
              );
          }
        }
      }
    }
    expect(compared).toBe(279 * 300 * 2);
    expect(disagreements).toEqual([]);
  }, 60_000);
});

describe("variant stickiness without a user or session id", () => {
  it("default stickiness picks by the remote address, as unleash-client does", async () => {
    const { compileSnapshot } = await import("../../lib/domain/config-snapshot");
    const variants = ["a", "b", "c"].map((name) => ({ name, weight: 333 }));
    const snapshot = compileSnapshot({
      environment: "e",
      version: 1,
      flags: {
        f: {
          enabled: true,
          killed: false,
          rolloutPercent: 100,
          allowlist: [],
          version: 1,
          targeting: { strategies: [], variants, dependencies: [] },
        },
      },
    });
    const client = clientFor(toUnleashFeatures(snapshot).features);
    const imported = { snapshot, problems: new Map<string, string[]>() };
    const picks = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = { description: "", toggleName: "f", expectedResult: false, context: { remoteAddress: `10.0.${i}.1` } };
      const ours = rollgateAnswer(imported, c, true) as { name: string };
      expect(ours.name).toBe(client.getVariant("f", c.context as never).name);
      picks.add(ours.name);
    }
    expect([...picks].sort()).toEqual(["a", "b", "c"]);
  });
});
