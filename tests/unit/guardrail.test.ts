import { describe, expect, it } from "vitest";
import { GUARDRAIL_METRICS, judge, SEED_GUARDRAILS, type GuardrailRule } from "../../lib/domain/guardrail";

const rule = (over: Partial<GuardrailRule> = {}): GuardrailRule => ({
  metric: "error_rate",
  threshold: 0.01,
  windowSeconds: 300,
  minSamples: 100,
  ...over,
});
const metrics = (requests: number, errors = 0, p95Ms: number | null = 50) => ({ requests, errors, p95Ms });

describe("judge: too few samples", () => {
  it.each(GUARDRAIL_METRICS)("%s with fewer requests than minSamples is neither a breach nor healthy", (metric) => {
    // All errors and a slow p95: would breach every rule if it were judged.
    expect(judge(rule({ metric, threshold: metric === "p95_ms" ? 100 : 0.5 }), metrics(99, 99, 5000))).toEqual({
      breached: false,
      judged: false,
      value: null,
      samples: 99,
      message: "not judged: 99 of 100 requests needed in 5 min",
    });
  });

  it("exactly minSamples requests is judged", () => {
    expect(judge(rule(), metrics(100, 2))).toMatchObject({ judged: true, breached: true, samples: 100 });
  });

  it("no traffic at all is not judged", () => {
    expect(judge(rule({ minSamples: 1, windowSeconds: 90 }), metrics(0, 0, null))).toMatchObject({
      judged: false,
      breached: false,
      message: "not judged: 0 of 1 requests needed in 90 s",
    });
  });
});

describe("judge: error rate", () => {
  it("breaches above the threshold, saying by how much, over what window and traffic", () => {
    expect(judge(rule(), metrics(12_345, 247))).toEqual({
      breached: true,
      judged: true,
      value: 247 / 12_345,
      samples: 12_345,
      message: "error rate 2 % > 1 % over 5 min, 12,345 requests",
    });
  });

  it("exactly at the threshold is healthy (the rule is 'more than')", () => {
    expect(judge(rule(), metrics(100, 1))).toMatchObject({
      breached: false,
      value: 0.01,
      message: "error rate 1 % ≤ 1 % over 5 min, 100 requests",
    });
  });

  it("no errors is healthy, even with a threshold of 0; one error breaches it", () => {
    expect(judge(rule({ threshold: 0 }), metrics(500))).toMatchObject({
      breached: false,
      value: 0,
      message: "error rate 0 % ≤ 0 % over 5 min, 500 requests",
    });
    expect(judge(rule({ threshold: 0 }), metrics(500, 1))).toMatchObject({
      breached: true,
      message: "error rate 0.2 % > 0 % over 5 min, 500 requests",
    });
  });

  it("shows up to two decimals, without trailing zeros", () => {
    expect(judge(rule({ threshold: 0.0125, windowSeconds: 3600 }), metrics(1000, 105)).message).toBe(
      "error rate 10.5 % > 1.25 % over 60 min, 1,000 requests",
    );
  });

  it("never words a breach as two equal numbers: a rate just over the threshold shows the digits that differ", () => {
    // 1.001 % against 1 %: rounded to two decimals both would read "1 %".
    expect(judge(rule(), metrics(100_000, 1001)).message).toBe("error rate 1.001 % > 1 % over 5 min, 100,000 requests");
    // 1 error in a million against 0: "0 % > 0 %" would say nothing.
    expect(judge(rule({ threshold: 0 }), metrics(1_000_000, 1)).message).toBe("error rate 0.0001 % > 0 % over 5 min, 1,000,000 requests");
  });
});

describe("judge: success rate", () => {
  const successRule = rule({ metric: "success_rate", threshold: 0.8 });

  it("breaches below the threshold; the value is the success share", () => {
    expect(judge(successRule, metrics(200, 41))).toEqual({
      breached: true,
      judged: true,
      value: 1 - 41 / 200,
      samples: 200,
      message: "success rate 79.5 % < 80 % over 5 min, 200 requests",
    });
  });

  it("exactly at the threshold is healthy (the rule is 'less than')", () => {
    expect(judge(successRule, metrics(100, 20))).toMatchObject({
      breached: false,
      message: "success rate 80 % ≥ 80 % over 5 min, 100 requests",
    });
  });

  it("all requests failing is 0 %, a breach of any positive threshold", () => {
    expect(judge(rule({ metric: "success_rate", threshold: 0.01 }), metrics(100, 100))).toMatchObject({ breached: true, value: 0 });
  });
});

describe("judge: p95 latency", () => {
  const latencyRule = rule({ metric: "p95_ms", threshold: 1000 });

  it("breaches above the threshold (p95 is the histogram's upper bound, hence '≤')", () => {
    expect(judge(latencyRule, metrics(150, 0, 1500))).toEqual({
      breached: true,
      judged: true,
      value: 1500,
      samples: 150,
      message: "p95 ≤ 1500 ms > 1000 ms over 5 min, 150 requests",
    });
  });

  it("exactly at the threshold is healthy; errors do not matter to it", () => {
    expect(judge(latencyRule, metrics(150, 150, 1000))).toMatchObject({
      breached: false,
      value: 1000,
      message: "p95 ≤ 1000 ms ≤ 1000 ms over 5 min, 150 requests",
    });
  });

  it("a p95 in the overflow slot (> 10 s) breaches, and the message says so in plain words", () => {
    expect(judge(latencyRule, metrics(150, 0, Number.POSITIVE_INFINITY))).toEqual({
      breached: true,
      judged: true,
      value: null, // Infinity is not JSON; the verdict is stored as JSON
      samples: 150,
      message: "p95 > 10 s > 1000 ms over 5 min, 150 requests",
    });
  });
});

describe("the seeds' guardrails", () => {
  it("leave healthy traffic alone", () => {
    const healthy = metrics(1000, 5, 500); // 0.5 % errors, p95 ≤ 500 ms
    expect(SEED_GUARDRAILS.map((g) => judge(g, healthy).breached)).toEqual([false, false, false]);
  });

  it("each catches what its comment says: error rate > 1 %, success rate < 80 %, p95 > 1 s", () => {
    const bad = metrics(1000, 250, 2000); // 25 % errors, so 75 % success; p95 ≤ 2 s
    expect(SEED_GUARDRAILS.map((g) => [g.metric, g.action, judge(g, bad).message])).toEqual([
      ["error_rate", "rollback", "error rate 25 % > 1 % over 5 min, 1,000 requests"],
      ["success_rate", "kill", "success rate 75 % < 80 % over 5 min, 1,000 requests"],
      ["p95_ms", "notify", "p95 ≤ 2000 ms > 1000 ms over 5 min, 1,000 requests"],
    ]);
  });

  it("judge nothing below 100 requests", () => {
    expect(SEED_GUARDRAILS.map((g) => judge(g, metrics(99, 99, 10_000)).judged)).toEqual([false, false, false]);
  });
});
