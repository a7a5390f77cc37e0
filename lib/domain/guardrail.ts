import type { WindowMetrics } from "./rollout";

export const GUARDRAIL_METRICS = ["error_rate", "success_rate", "p95_ms"] as const;
export type GuardrailMetric = (typeof GUARDRAIL_METRICS)[number];
export const GUARDRAIL_ACTIONS = ["notify", "pause", "rollback", "kill"] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

export interface GuardrailRule {
  metric: GuardrailMetric;
  /** error_rate / success_rate as 0–1, p95 in ms. */
  threshold: number;
  windowSeconds: number;
  minSamples: number;
}

export interface Verdict {
  breached: boolean;
  /** Not enough samples to judge: never a breach, never "healthy" either. */
  judged: boolean;
  value: number | null;
  samples: number;
  message: string;
}

/** The seeds' alert thresholds as defaults (error rate > 1 %, success rate < 80 % for 5 min, p95 > 1 s for 5 min). */
export const SEED_GUARDRAILS: (GuardrailRule & { action: GuardrailAction })[] = [
  { metric: "error_rate", threshold: 0.01, windowSeconds: 300, minSamples: 100, action: "rollback" },
  { metric: "success_rate", threshold: 0.8, windowSeconds: 300, minSamples: 100, action: "kill" },
  { metric: "p95_ms", threshold: 1000, windowSeconds: 300, minSamples: 100, action: "notify" },
];

const pctTo = (x: number, decimals: number) => `${(x * 100).toFixed(decimals).replace(/\.?0+$/, "")} %`;
/**
 * A rate and its threshold as percentages: two decimals, or as many more (up to six) as it takes for
 * unequal numbers to read unequal, so a verdict never says "1 % > 1 %".
 */
function pcts(value: number, threshold: number): [string, string] {
  for (let decimals = 2; ; decimals++) {
    const [a, b] = [pctTo(value, decimals), pctTo(threshold, decimals)];
    if (a !== b || value === threshold || decimals === 6) return [a, b];
  }
}
const mins = (s: number) => (s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/** Judges one rule against the window's metrics and says why, in a sentence. */
export function judge(rule: GuardrailRule, m: WindowMetrics): Verdict {
  const over = `over ${mins(rule.windowSeconds)}, ${m.requests.toLocaleString("en-US")} requests`;
  if (m.requests < rule.minSamples) {
    return {
      breached: false,
      judged: false,
      value: null,
      samples: m.requests,
      message: `not judged: ${m.requests} of ${rule.minSamples} requests needed in ${mins(rule.windowSeconds)}`,
    };
  }
  const errorRate = m.errors / m.requests;
  switch (rule.metric) {
    case "error_rate": {
      const breached = errorRate > rule.threshold;
      const [shown, limit] = pcts(errorRate, rule.threshold);
      return {
        breached,
        judged: true,
        value: errorRate,
        samples: m.requests,
        message: `error rate ${shown} ${breached ? ">" : "≤"} ${limit} ${over}`,
      };
    }
    case "success_rate": {
      const rate = 1 - errorRate;
      const breached = rate < rule.threshold;
      const [shown, limit] = pcts(rate, rule.threshold);
      return {
        breached,
        judged: true,
        value: rate,
        samples: m.requests,
        message: `success rate ${shown} ${breached ? "<" : "≥"} ${limit} ${over}`,
      };
    }
    case "p95_ms": {
      const p95 = m.p95Ms ?? 0;
      const breached = p95 > rule.threshold;
      return {
        breached,
        judged: true,
        value: Number.isFinite(p95) ? p95 : null,
        samples: m.requests,
        // p95Ms is the upper edge of its histogram slot; Infinity is the overflow slot, above 10 s.
        message: `p95 ${Number.isFinite(p95) ? `≤ ${p95} ms` : "> 10 s"} ${breached ? ">" : "≤"} ${rule.threshold} ms ${over}`,
      };
    }
  }
}
