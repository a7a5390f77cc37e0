// Local evaluation with targeting (issue 25), beside the percentage-only flag and the Unleash Node SDK
// evaluating the same flag: `npm run bench targeting` (also part of `npm run bench eval`). The rounds
// alternate between the three so that a noisy neighbour slows them alike; medians are reported.
import UnleashClientExport from "unleash-client/lib/client";
import { defaultStrategies } from "unleash-client/lib/strategy";
import { compileSnapshot, snapshotEnv } from "../../lib/domain/config-snapshot";
import { evaluate, evaluateWithContext, type FlagRule } from "../../lib/domain/evaluation";
import type { Segment, TargetingContext } from "../../lib/domain/targeting/model";
import { toUnleashFeatures } from "../../lib/domain/unleash-features";
import { AudienceSampler } from "../../lib/domain/audience-sample";

// Node's ESM loader hands over a CommonJS module's exports as the default import; vitest unwraps `.default`.
const UnleashClient = (UnleashClientExport as unknown as { default?: typeof UnleashClientExport }).default ?? UnleashClientExport;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const STAFF: Segment = {
  id: 1,
  name: "Staff",
  constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"], caseInsensitive: true }],
};

/** 3 constraints and a segment, 50 % by default stickiness: every evaluation checks all four and hashes. */
const TARGETED: FlagRule = {
  enabled: true,
  killed: false,
  rolloutPercent: 0,
  allowlist: [],
  version: 1,
  targeting: {
    strategies: [
      {
        rollout: 50,
        stickiness: "default",
        groupId: "checkout",
        constraints: [
          { contextName: "tenant", operator: "IN", values: Array.from({ length: 20 }, (_, i) => `tenant-${i}`) },
          { contextName: "country", operator: "NOT_IN", values: ["KP", "IR", "SY"] },
          { contextName: "appVersion", operator: "SEMVER_GTE", value: "2.3.0" },
        ],
        segments: [1],
        variants: [],
      },
    ],
    variants: [],
    dependencies: [],
  },
};
const PLAIN: FlagRule = { enabled: true, killed: false, rolloutPercent: 49, allowlist: ["qa-1"], version: 1 };

export function benchTargeting(): void {
  const snapshot = compileSnapshot({
    environment: "production",
    version: 1,
    flags: { plain: PLAIN, targeted: TARGETED },
    segments: { "1": STAFF },
  });
  const env = snapshotEnv(snapshot, { random: Math.random, now: Date.now });
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i * 7919}`);
  const contexts: TargetingContext[] = keys.map((userId, i) => ({
    userId,
    properties: {
      tenant: `tenant-${i % 25}`,
      country: i % 10 ? "NO" : "IR",
      appVersion: `2.${i % 6}.0`,
      email: `u${i}@${i % 3 ? "acme" : "other"}.com`,
    },
  }));
  const features = new Map(toUnleashFeatures(snapshot).features.map((f) => [f.name, f]));
  const unleash = new UnleashClient({ getToggle: (n: string) => features.get(n), getSegment: () => undefined } as never, defaultStrategies);

  let on = 0;
  const sampler = new AudienceSampler();
  const noContext = () => ({});
  const plainFlag = snapshot.flags.get("plain")!;
  const targetedFlag = snapshot.flags.get("targeted")!;
  const runs: Record<string, () => void> = {
    "percentage-only (evaluate)": () => {
      for (let i = 0; i < 2_000_000; i++) if ((evaluate(plainFlag, keys[i % 10_000]) as { value?: boolean }).value) on++;
    },
    "3 constraints + a segment (evaluateWithContext)": () => {
      for (let i = 0; i < 2_000_000; i++)
        if ((evaluateWithContext(targetedFlag, contexts[i % 10_000]!, env) as { value?: boolean }).value) on++;
    },
    // What RollgateClient adds to each evaluation with a key: one offer to its audience sample (a
    // hash and a comparison; a Map lookup for the ~40 % of these 10,000 users below the threshold).
    "the SDK client's audience sample (offer)": () => {
      for (let i = 0; i < 2_000_000; i++) sampler.offer(keys[i % 10_000], noContext);
    },
    "the same flag in unleash-client 6 (isEnabled)": () => {
      for (let i = 0; i < 200_000; i++) if (unleash.isEnabled("targeted", contexts[i % 10_000] as never, () => false)) on++;
    },
    "a percentage-only flag in unleash-client 6 (isEnabled)": () => {
      for (let i = 0; i < 200_000; i++) if (unleash.isEnabled("plain", { userId: keys[i % 10_000] }, () => false)) on++;
    },
  };
  const per: Record<string, number> = {
    "the same flag in unleash-client 6 (isEnabled)": 200_000,
    "a percentage-only flag in unleash-client 6 (isEnabled)": 200_000,
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) run(); // warm-up
  for (let round = 0; round < 7; round++) {
    for (const [name, run] of Object.entries(runs)) {
      const t0 = process.hrtime.bigint();
      run();
      times[name]!.push(Number(process.hrtime.bigint() - t0) / (per[name] ?? 2_000_000));
    }
  }
  console.log(`\n1b. Local evaluation with targeting (7 alternating rounds, medians; best in brackets)`);
  for (const [name, t] of Object.entries(times)) console.log(`   ${name}: ${fmt(median(t), 1)} ns (best ${fmt(Math.min(...t), 1)} ns)`);
  console.log(`   checksum ${on}`);
}
