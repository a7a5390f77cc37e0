import { describe, expect, it } from "vitest";
import { controlWeather } from "../../lib/domain/control-weather";
import { csBoundary, deltaBand } from "../../lib/domain/evidence-band";
import { eventsNeeded, exposureForPromotion } from "../../lib/domain/evidence-exposure";
import {
  ALPHA_ERRORS,
  errorMinutes,
  judgeEvidence,
  phaseBands,
  slowMinutes,
  summedSlots,
  type EvidenceRollupRow,
} from "../../lib/domain/guardrail-evidence";
import { absoluteSlowThresholdMs, interpolatedQuantileMs, relativeSlowThresholdMs, slowCount } from "../../lib/domain/latency-evidence";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { logBeta, logGamma } from "../../lib/domain/log-gamma";
import { checkSampleRatio, sketchMarginLogOdds, srmLogBayesFactor } from "../../lib/domain/sample-ratio";
import {
  addLlr,
  advanceTrack,
  alwaysValidP,
  dispersionFactor,
  logEvidence,
  mixLogEvidence,
  RATIO_GRID,
  splitLlr,
  stratifiedRateRatio,
  temperFor,
} from "../../lib/domain/split-evidence";

// Minute 1: 100 on / 900 off requests (s = 0.1), 3 + 2 erroring subjects (e = 5).
// Minute 2: 200 on / 800 off (s = 0.2), 4 + 1 (e = 5).
const TWO_MINUTES = [
  { nT: 100, nC: 900, eT: 3, eC: 2 },
  { nT: 200, nC: 800, eT: 4, eC: 1 },
];

describe("split e-process: log-likelihood ratios", () => {
  it("match the hand computation for θ = 2 and θ = 1.1 over two minutes", () => {
    const llr = splitLlr(TWO_MINUTES);
    // θ = 2: (3 + 4)·ln 2 − 5·ln(1 + 1·0.1) − 5·ln(1 + 1·0.2)
    //      = 7·0.6931472 − 5·0.0953102 − 5·0.1823216 = 4.8520303 − 0.4765509 − 0.9116078 = 3.4638716
    expect(llr[RATIO_GRID.indexOf(2)]).toBeCloseTo(3.4638716, 6);
    // θ = 1.1: 7·ln 1.1 − 5·ln 1.01 − 5·ln 1.02 = 0.6671712 − 0.0497517 − 0.0990131 = 0.5184065
    expect(llr[0]).toBeCloseTo(0.5184065, 6);
    // θ = 10: 7·ln 10 − 5·ln 1.9 − 5·ln 2.8 = 16.1180957 − 3.2092694 − 5.1480971 = 7.7607292
    expect(llr[6]).toBeCloseTo(7.7607292, 6);
  });

  it("is additive over minutes and skips minutes where an arm had no requests", () => {
    const [a, b] = TWO_MINUTES.map((m) => splitLlr([m]));
    const whole = splitLlr(TWO_MINUTES);
    addLlr(a!, b!).forEach((x, k) => expect(x).toBeCloseTo(whole[k]!, 12));
    expect(splitLlr([...TWO_MINUTES, { nT: 0, nC: 50, eT: 0, eC: 9 }, { nT: 50, nC: 0, eT: 9, eC: 0 }])).toEqual(splitLlr(TWO_MINUTES));
  });

  it("moves relative to θ0: betting on θ0·g against θ0", () => {
    // θ0 = 1.5, g = 2 (θ = 3), one minute s = 0.1, 3 of 5 events on `on`:
    // 3·ln 2 − 5·ln((1 + 2·0.1)/(1 + 0.5·0.1)) = 2.0794415 − 5·ln(1.2/1.05) = 2.0794415 − 0.6676569 = 1.4117846
    expect(splitLlr([TWO_MINUTES[0]!], 1.5)[3]).toBeCloseTo(1.4117846, 6);
  });
});

describe("split e-process: the mixture", () => {
  it("is log of the average of exp(llr_k): E = 1 without evidence", () => {
    expect(mixLogEvidence(RATIO_GRID.map(() => 0))).toBe(0);
    expect(logEvidence([])).toBe(0);
    // One minute, 1,000 on / 9,000 off, 15 + 45 events: llr_k = 15·ln θ − 60·ln(1 + 0.1(θ − 1)) =
    // 0.8326, 1.8656, 3.1546, 4.6786, 5.5399, 3.9532, −3.9725; (Σ exp)/7 = 446.59/7 = 63.80; ln = 4.1557
    expect(logEvidence([{ nT: 1000, nC: 9000, eT: 15, eC: 45 }])).toBeCloseTo(4.155739, 5);
  });

  it("divides each llr by the temper before mixing", () => {
    const llr = [0, 0, 0, 0, 0, 0, 14];
    // φ̂ = 2: ln((6·e⁰ + e⁷)/7) = ln((6 + 1096.6332)/7) = ln 157.5190 = 5.0595
    expect(mixLogEvidence(llr, 2)).toBeCloseTo(Math.log((6 + Math.exp(7)) / 7), 12);
    expect(mixLogEvidence(llr, 2)).toBeCloseTo(5.0595, 4);
  });

  it("does not overflow on overwhelming evidence", () => {
    expect(mixLogEvidence([0, 0, 0, 0, 0, 0, 5000])).toBeCloseTo(5000 - Math.log(7), 9);
  });

  it("is unmoved by a base rate both arms share: equal rates at 0.5 % or 5 % leave E below 1", () => {
    const quiet = { nT: 1000, nC: 9000, eT: 5, eC: 45 };
    const incident = { nT: 1000, nC: 9000, eT: 50, eC: 450 };
    expect(logEvidence([quiet])).toBeLessThan(0);
    expect(logEvidence([incident])).toBeLessThan(logEvidence([quiet]));
  });
});

describe("dispersion factor φ̂", () => {
  // Three minutes of 100/100 requests; events on/off (0, 2), (4, 0), (2, 4): N_t = N_c = 300, p̂_t = p̂_c = 0.02.
  // u = (0 − 2)/300 − (2 − 2)/300 = −2/300; (4 − 2)/300 − (0 − 2)/300 = 4/300; (2 − 2)/300 − (4 − 2)/300 = −2/300
  // V_batch = 3/2 · (4 + 16 + 4)/300² = 0.0004; V_binomial = 2 · 0.02·0.98/300 = 0.000130667; φ̂ = 3.0612245
  const BATCH = [
    { nT: 100, nC: 100, eT: 0, eC: 2 },
    { nT: 100, nC: 100, eT: 4, eC: 0 },
    { nT: 100, nC: 100, eT: 2, eC: 4 },
  ];

  it("matches the hand computation on a tiny batch", () => {
    expect(dispersionFactor(BATCH)).toBeCloseTo(3.0612245, 6);
  });

  it("is never below 1, and 1 without events or with one minute", () => {
    const even = Array.from({ length: 12 }, () => ({ nT: 100, nC: 900, eT: 1, eC: 9 }));
    expect(dispersionFactor(even)).toBe(1);
    expect(dispersionFactor([BATCH[1]!])).toBe(1);
    expect(
      dispersionFactor([
        { nT: 5, nC: 5, eT: 0, eC: 0 },
        { nT: 5, nC: 5, eT: 0, eC: 0 },
      ]),
    ).toBe(1);
  });

  it("is applied as the temper only from 10 usable minutes on", () => {
    const nine = [...BATCH, ...BATCH, ...BATCH];
    expect(temperFor(nine)).toBe(1);
    const withEmpty = [...nine, { nT: 0, nC: 100, eT: 0, eC: 1 }];
    expect(temperFor(withEmpty)).toBe(1);
    const ten = [...nine, BATCH[0]!];
    expect(temperFor(ten)).toBe(dispersionFactor(ten));
    expect(temperFor(ten)).toBeGreaterThan(1);
  });
});

describe("sticky alarm and the always-valid p-value", () => {
  const bar = Math.log(1 / ALPHA_ERRORS); // ln 33.3 = 3.5066

  it("keeps the running maximum and stays alarmed after the evidence falls", () => {
    const t1 = advanceTrack(null, 3.6, ALPHA_ERRORS, true);
    expect(t1).toEqual({ maxLogE: 3.6, alarmed: true });
    const t2 = advanceTrack(t1, -1, ALPHA_ERRORS, true);
    expect(t2).toEqual({ maxLogE: 3.6, alarmed: true });
    expect(alwaysValidP(t2.maxLogE)).toBeCloseTo(Math.exp(-3.6), 12); // 0.0273 < 0.03
  });

  it("does not act before the minimum sample, and acts on the kept maximum once it is there", () => {
    const early = advanceTrack(null, bar + 1, ALPHA_ERRORS, false);
    expect(early.alarmed).toBe(false);
    expect(advanceTrack(early, 0.5, ALPHA_ERRORS, true)).toEqual({ maxLogE: bar + 1, alarmed: true });
  });

  it("starts from E = 1: p is 1 until evidence accumulates", () => {
    expect(advanceTrack(null, -2, ALPHA_ERRORS, true)).toEqual({ maxLogE: 0, alarmed: false });
    expect(alwaysValidP(0)).toBe(1);
  });
});

describe("exposure before promotion", () => {
  it("E_need for θ = 2 at s = 0.1 and α = 0.05 is ≈ 241 events", () => {
    // q1 = 0.2/1.1 = 0.181818; KL(q1‖0.1) = 0.181818·ln 1.818182 + 0.818182·ln(0.818182/0.9)
    //    = 0.108690 − 0.077982 = 0.030708; E_need = 1.5·(ln 20 + ln 7)/KL = 1.5·4.941642/0.030708 = 241.3
    expect(eventsNeeded(0.1, 0.05)).toBeCloseTo(241.3, 1);
    expect(eventsNeeded(0, 0.05)).toBe(Infinity);
  });

  it("says how many more requests it needs at the current rate, or that it is met", () => {
    // α = 0.03: 1.5·(ln 33.33 + ln 7)/0.030708 = 266.26 → 267 events; 60 of them so far at 60/10,000 requests:
    // 207 more events ≈ 207/0.006 = 34,500 requests.
    const short = exposureForPromotion({ share: 0.1, events: 60, requests: 10_000, alpha: 0.03 });
    expect(short).toEqual({
      needed: 267,
      have: 60,
      met: false,
      moreEvents: 207,
      moreRequests: 34_500,
      message: "needs about 34,500 more requests (207 more errors) to catch a 2× ratio in errors",
    });
    expect(exposureForPromotion({ share: 0.1, events: 300, requests: 50_000, alpha: 0.03 })).toMatchObject({
      met: true,
      message: "enough data: 300 of 267 errors needed to catch a 2× ratio in errors",
    });
    expect(exposureForPromotion({ share: 0.1, events: 0, requests: 500, alpha: 0.03 }).message).toBe(
      "needs 267 more errors to catch a 2× ratio in errors (none yet, so no estimate in requests)",
    );
  });
});

describe("sample ratio mismatch", () => {
  it("ln Γ matches factorials and Γ(½) = √π", () => {
    let lnFactorial = 0; // ln((n − 1)!) by summing logs
    for (let n = 2; n <= 200; n++) {
      expect(logGamma(n)).toBeCloseTo(lnFactorial, 9);
      lnFactorial += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12); // B(2,3) = 1!·2!/4! = 1/12
  });

  it("ln BF matches the hand computation via ln Γ", () => {
    // q = 0.1, k = 100: a = 10, b = 90; 20 subjects on, 80 off.
    // lnB(30,170) = lnΓ(30) + lnΓ(170) − lnΓ(200) = 71.2570390 + 701.4372638 − 857.9336698 = −85.2393670
    // lnB(10,90)  = lnΓ(10) + lnΓ(90) − lnΓ(100)  = 12.8018275 + 313.6528299 − 359.1342054 = −32.6795480
    // − 20·ln 0.1 − 80·ln 0.9 = 46.0517019 + 8.4288371 = 54.4805390
    // ln BF = −85.2393670 + 32.6795480 + 54.4805390 = 1.9207200 (1.92072400 with the unrounded terms)
    expect(srmLogBayesFactor(20, 80, 0.1)).toBeCloseTo(1.920724, 6);
  });

  it("names the arm that is off, by how much, and holds at ln BF ≥ ln 1000", () => {
    const caught = checkSampleRatio({ subjectsOn: 2200, subjectsOff: 17_800, expectedOnShare: 0.1 });
    expect(caught.alarm).toBe(true);
    expect(caught.threshold).toBeCloseTo(Math.log(1000), 12);
    expect(caught.message).toBe(
      "sample ratio mismatch: on has 2,200 of 20,000 subjects where 2,000 are expected (+10 %; on's share 11 %, configured 10 %), ln BF 8.0 ≥ 6.9 → hold",
    );
    const fine = checkSampleRatio({ subjectsOn: 1010, subjectsOff: 8990, expectedOnShare: 0.1 });
    expect(fine.alarm).toBe(false);
    const offShort = checkSampleRatio({ subjectsOn: 9200, subjectsOff: 800, expectedOnShare: 0.9 });
    expect(offShort.message).toMatch(/^sample ratio mismatch: off has 800 of 10,000 subjects where 1,000 are expected \(−20 %;/);
  });
});

describe("the chart band", () => {
  it("uses GrowthBook's one-sided boundary: 2.78 at N = N*, 3.15 at N = 0.2·N* (α = 0.05)", () => {
    // l = −2·ln 0.1 = 4.6052; x = l + ln(l + 1) = 4.6052 + 1.7237 = 6.3289;
    // b = √(2·7.3289/6.3289 · ln(1 + √7.3289/0.1)) = √(2.31601 · ln 28.0719) = √(2.31601 · 3.33477) = 2.7791
    expect(csBoundary(1000, 1000, 0.05)).toBeCloseTo(2.7791, 4);
    expect(csBoundary(200, 1000, 0.05)).toBeCloseTo(3.1524, 4);
  });

  it("gives Δ̂ and its lower bound per phase, never pooled", () => {
    const band = deltaBand({ nT: 1000, nC: 9000, eT: 15, eC: 45 }, 10_000, 0.05)!;
    // Δ̂ = 0.015 − 0.005 = 0.01; V = 0.015·0.985/1000 + 0.005·0.995/9000 = 1.4775e-5 + 5.528e-7 = 1.53278e-5
    // lower = 0.01 − 2.7791·0.0039151 = 0.01 − 0.0108804 = −0.00088
    expect(band.delta).toBeCloseTo(0.01, 12);
    expect(band.lower).toBeCloseTo(-0.00088, 5);
    expect(deltaBand({ nT: 0, nC: 10, eT: 0, eC: 0 }, 100, 0.05)).toBeNull();

    const rows: EvidenceRollupRow[] = [
      row(0, 0, "on", 100, 1),
      row(0, 0, "off", 9900, 30),
      row(60_000, 1, "on", 5000, 100),
      row(60_000, 1, "off", 5000, 100),
      row(60_000, 1, "on", 999, 999, "TARGETING_MATCH"),
    ];
    const bands = phaseBands(rows, (phase) => (phase === 0 ? 10_000 : 20_000));
    expect(bands.map((b) => [b.phase, b.band?.nT, b.band?.eT, b.band?.delta])).toEqual([
      [0, 100, 1, 0.01 - 30 / 9900],
      [1, 5000, 100, 0],
    ]);
  });
});

describe("latency: slow counts and thresholds", () => {
  it("counts the slots whose lower edge is at or above T", () => {
    const slots = Array.from({ length: LATENCY_SLOTS }, (_, i) => i + 1); // slot i holds i + 1 requests
    // T = 300 ms is the upper edge of slot 9, so slots 10…19 (lower edges 300 … 10000) are slow: 11 + … + 20 = 155
    expect(slowCount(slots, 300)).toBe(155);
    expect(slowCount(slots, 10_000)).toBe(20); // only the overflow slot
    expect(slowCount(slots, 0)).toBe(210); // everything
  });

  it("freezes T_rel at the edge nearest control's p95, interpolated inside its slot", () => {
    // 1,000 requests: 940 at ≤ 250 ms (slot 8), 40 in (300, 400] (slot 10), 20 in (400, 500].
    // rank 950 is the 10th of slot 10's 40: 300 + 10/40·100 = 325 ms → nearest edge 300 (not 400).
    const slots = new Array<number>(LATENCY_SLOTS).fill(0);
    slots[8] = 940;
    slots[10] = 40;
    slots[11] = 20;
    expect(interpolatedQuantileMs(slots, 0.95)).toBeCloseTo(325, 9);
    expect(relativeSlowThresholdMs(slots)).toBe(300);
    expect(relativeSlowThresholdMs(new Array<number>(LATENCY_SLOTS).fill(0))).toBeNull();
  });

  it("takes T_abs as the smallest edge at or above the criterion", () => {
    expect(absoluteSlowThresholdMs(1000)).toBe(1000);
    expect(absoluteSlowThresholdMs(900)).toBe(1000);
    expect(absoluteSlowThresholdMs(60_000)).toBe(10_000);
  });
});

function row(
  minute: number,
  phase: number,
  variant: "on" | "off",
  requests: number,
  errorSubjects: number,
  reason = "SPLIT",
): EvidenceRollupRow {
  const latencyBuckets = new Array<number>(LATENCY_SLOTS).fill(0);
  latencyBuckets[5] = requests - errorSubjects; // ≤ 100 ms
  latencyBuckets[13] = errorSubjects; // (750, 1000] ms
  return { minute, phase, variant, reason, requests, errorSubjects, latencyBuckets };
}

describe("rollup rows → minutes", () => {
  it("sums phases within a minute, drops non-SPLIT rows, and orders by minute", () => {
    const rows = [
      row(120_000, 1, "on", 10, 1),
      row(60_000, 0, "on", 100, 3),
      row(60_000, 1, "on", 50, 2),
      row(60_000, 0, "off", 900, 4),
      row(60_000, 0, "off", 7, 7, "TARGETING_MATCH"),
    ];
    expect(errorMinutes(rows)).toEqual([
      { nT: 150, nC: 900, eT: 5, eC: 4 },
      { nT: 10, nC: 0, eT: 1, eC: 0 },
    ]);
    // Slow at 750 ms: the errorSubjects requests this helper puts in (750, 1000].
    expect(slowMinutes(rows, 750)).toEqual(errorMinutes(rows));
    expect(summedSlots(rows, "off")[5]).toBe(896);
  });
});

describe("judgeEvidence: the verdict and its sentence", () => {
  const BAD_MINUTE = { nT: 1000, nC: 9000, eT: 15, eC: 45 }; // E = 63.8 (above)

  it("rolls back with the evidence quoted", () => {
    const v = judgeEvidence([BAD_MINUTE], { test: "errors" });
    expect(v).toMatchObject({
      verdict: "alarm",
      action: "rollback",
      minutes: 1,
      phi: 1,
      on: { requests: 1000, events: 15, rate: 0.015 },
      off: { requests: 9000, events: 45, rate: 0.005 },
      enoughData: true,
    });
    expect(v.logE).toBeCloseTo(4.155739, 5);
    expect(v.p).toBeCloseTo(1 / 63.799, 4);
    // Mantel–Haenszel: (15·9000/10000)/(45·1000/10000) = 13.5/4.5 = 3
    expect(v.ratio).toBeCloseTo(3, 12);
    expect(v.explanation).toBe("on: 1.5 % errors, off: 0.5 %, 3× worse, evidence 64 ≥ 33 → roll back");
  });

  it("takes no action below the bar, and stays alarmed once alarmed", () => {
    const mild = { nT: 1000, nC: 9000, eT: 6, eC: 45 };
    const v = judgeEvidence([mild], { test: "errors" });
    expect(v.verdict).toBe("clear");
    expect(v.explanation).toBe("on: 0.6 % errors, off: 0.5 %, 1.2× worse, evidence 1 < 33 → no action");
    const sticky = judgeEvidence([mild], { test: "errors", previous: { maxLogE: 4, alarmed: true } });
    expect(sticky.verdict).toBe("alarm");
    expect(sticky.evidence).toBeCloseTo(Math.exp(4), 9);
  });

  it("does not judge before on has 5 events and 100 requests", () => {
    const v = judgeEvidence([{ nT: 99, nC: 900, eT: 9, eC: 1 }], { test: "errors" });
    expect(v.verdict).toBe("insufficient");
    expect(v.explanation).toBe(
      "on: 9.1 % errors, off: 0.11 %, 82× worse: not judged until on has 5 errors and 100 requests (9 and 99 so far)",
    );
  });

  it("pauses on latency, naming the threshold, at α_L/2", () => {
    const v = judgeEvidence([{ nT: 1000, nC: 9000, eT: 110, eC: 630 }], { test: "latency_relative", thresholdMs: 300 });
    expect(v.alpha).toBe(0.01);
    expect(v.action).toBe("pause");
    expect(v.explanation).toMatch(/^on: 11 % over 300 ms, off: 7 %, 1\.6× worse, evidence [\d,.e+]+ ≥ 100 → pause$/);
  });

  it("uses a cached llr when given one, and the same φ̂ temper", () => {
    const minutes = Array.from({ length: 12 }, (_, i) => ({ nT: 100, nC: 900, eT: i % 3, eC: 5 + (i % 4) }));
    const v = judgeEvidence(minutes, { test: "errors", llr: splitLlr(minutes) });
    expect(v.phi).toBe(dispersionFactor(minutes));
    expect(v.logE).toBeCloseTo(logEvidence(minutes, 1, v.phi), 12);
    expect(stratifiedRateRatio(minutes)).toBeCloseTo(v.ratio!, 12);
  });
});

describe("control's weather: an incident on both arms", () => {
  // 20 quiet minutes: control 1,000 requests and 5 errors each (0.5 %), then 5 recent minutes.
  const quiet = Array.from({ length: 20 }, () => ({ nT: 1000, nC: 1000, eT: 5, eC: 5 }));

  it("is elevated when control's last 5 minutes are ≥ 2× and ≥ 3.1 σ above its own earlier rate", () => {
    const incident = Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 30, eC: 30 }));
    const w = controlWeather([...quiet, ...incident]);
    // expected = 5,000 · (100 + 0.5)/(20,000 + 1) = 25.12; z = (150 − 25.12)/√25.12 = 24.9
    expect(w).toEqual({ elevated: true, recentRate: 0.03, baselineRate: 0.005 });
  });

  it("is not elevated by a regression on on alone, by noise, or without a baseline", () => {
    const regression = Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 30, eC: 5 }));
    expect(controlWeather([...quiet, ...regression]).elevated).toBe(false);
    // 40 recent errors where 25.12 are expected: 1.6× (below 2×), z = 2.97.
    const noisy = [...quiet, ...Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 5, eC: 8 }))];
    expect(controlWeather(noisy).elevated).toBe(false);
    // 400 earlier control requests: below the 500 a baseline needs.
    const young = [{ nT: 400, nC: 400, eT: 2, eC: 2 }, ...Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 30, eC: 30 }))];
    expect(controlWeather(young)).toMatchObject({ elevated: false, baselineRate: null, recentRate: 0.03 });
  });

  it("turns an error alarm into a pause, and the sentence says why", () => {
    const bad = Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 90, eC: 30 }));
    // The alarm crossed at an earlier look (evidence e^4 ≈ 55 ≥ 33); this look decides what it does.
    const crossed = { maxLogE: 4, alarmed: true };
    const v = judgeEvidence([...quiet, ...bad], { test: "errors", previous: crossed });
    expect(v.verdict).toBe("alarm");
    expect(v.action).toBe("pause");
    expect(v.explanation).toMatch(
      /^on: 2\.2 % errors, off: 1 %, 2\.2× worse, evidence 55 ≥ 33, but off is up too \(3 % in the last minutes against 0\.5 % before\): an incident on both arms → pause, not roll back$/,
    );
    // The same regression with control quiet rolls back.
    const alone = judgeEvidence([...quiet, ...Array.from({ length: 5 }, () => ({ nT: 1000, nC: 1000, eT: 90, eC: 5 }))], {
      test: "errors",
      previous: crossed,
    });
    expect(alone).toMatchObject({ verdict: "alarm", action: "rollback", weather: { elevated: false } });
    expect(judgeEvidence(quiet, { test: "latency_relative", thresholdMs: 300 }).weather).toBeNull();
  });
});

describe("sample ratio from sketches", () => {
  it("the margin is 5.5·√2·σ in log odds: ±0.51 for the 256-register sketch (σ = 6.5 %)", () => {
    expect(sketchMarginLogOdds(1.04 / 16)).toBeCloseTo(5.5 * Math.SQRT2 * 0.065, 9);
    expect(sketchMarginLogOdds(0.065)).toBeCloseTo(0.5056, 4);
  });

  it("a mismatch the Bayes factor sees but the sketches could have made is not an alarm, and says so", () => {
    // 10 % configured, 14 % observed on 100,000 subjects: ln BF is huge, but ln(odds ratio) = ln((14/86)/(10/90)) = 0.382 < 0.51.
    const close = checkSampleRatio({ subjectsOn: 14_000, subjectsOff: 86_000, expectedOnShare: 0.1, marginLogOdds: 0.5056 });
    expect(close.logBF).toBeGreaterThan(close.threshold);
    expect(close.alarm).toBe(false);
    expect(close.message).toMatch(
      /^sample ratio within the subject estimates' error: on has 14,000 of 100,000 subjects .*, ln BF 796\.5 ≥ 6\.9, but the odds are off by ×1\.47, within the estimates' ×1\.66$/,
    );
    // 20 % observed: ln((20/80)/(10/90)) = 0.811 > 0.51: an alarm.
    const far = checkSampleRatio({ subjectsOn: 20_000, subjectsOff: 80_000, expectedOnShare: 0.1, marginLogOdds: 0.5056 });
    expect(far.alarm).toBe(true);
    expect(far.message).toMatch(/^sample ratio mismatch: on has 20,000 of 100,000 subjects where 10,000 are expected \(\+100 %.*→ hold$/);
    // Without a margin (exact counts) the close one is an alarm.
    expect(checkSampleRatio({ subjectsOn: 14_000, subjectsOff: 86_000, expectedOnShare: 0.1 }).alarm).toBe(true);
  });
});
