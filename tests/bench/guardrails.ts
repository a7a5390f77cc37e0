// npm run bench:guardrails — the guardrail statistics figures in README.md ("Guardrail statistics").
//
// The simulation protocol of the research (guardrail-statistics.md §8), seeded and deterministic:
// traffic in 10-second steps, aggregated into the production per-minute rollup rows (one per minute
// and arm, reason SPLIT), judged by the production functions of lib/domain (guardrail-evidence.ts and
// friends) every 10 s including the open minute, and, for comparison, by the seeds' fixed thresholds
// (lib/domain/guardrail.ts judge() over the treatment's last 5 minutes, as the guardrail worker does).
// Nothing statistical is re-implemented here: the bench only generates traffic and keeps the closed
// minutes' llr sum, which is how a worker looking every few seconds would use splitLlr.
//
//   npm run bench:guardrails                   # every case, 1,000 runs each
//   BENCH_GUARDRAIL_RUNS=200 npm run bench:guardrails -- detect   # one case, fewer runs
//
// Times to detect are measured from the onset of the regression to the look that alarms; the SDK's
// flush interval and the worker's own period come on top in production.
import { judge, SEED_GUARDRAILS } from "../../lib/domain/guardrail";
import { errorMinutes, judgeEvidence, slowMinutes, type EvidenceRollupRow, type EvidenceTest } from "../../lib/domain/guardrail-evidence";
import { absoluteSlowThresholdMs, relativeSlowThresholdMs } from "../../lib/domain/latency-evidence";
import { LATENCY_EDGES_MS, LATENCY_SLOTS, quantileUpperBoundMs } from "../../lib/domain/latency-buckets";
import { logGamma } from "../../lib/domain/log-gamma";
import { checkSampleRatio, checkSketchedSampleRatio } from "../../lib/domain/sample-ratio";
import { addSubject, emptySketch } from "../../lib/domain/subject-sketch";
import { addLlr, RATIO_GRID, splitLlr, type EvidenceTrack, type MinuteCounts } from "../../lib/domain/split-evidence";

const RUNS = Number(process.env.BENCH_GUARDRAIL_RUNS ?? 1000);
const SEED = 2026;
const only = process.argv[2];
const DT = 10; // seconds per step and per look
const RPS = 100;
const SHARE = 0.1;

// ---------------------------------------------------------------------------------------------
// Seeded randomness: sfc32, one stream per (case, run), so any run can be replayed alone.

function rng(caseSeed: number, run: number): () => number {
  let a = 0x9e3779b9 ^ caseSeed;
  let b = 0x243f6a88 ^ run;
  let c = 0xb7e15162;
  let d = 1;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Poisson: inversion for small means, Hörmann's PTRS (as numpy) for large ones. */
function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 10) {
    let k = 0;
    let p = Math.exp(-mean);
    let s = p;
    const u = random();
    while (u > s && k < 1000) {
      k++;
      p *= mean / k;
      s += p;
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const logLam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = random() - 0.5;
    const V = random();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logLam - logGamma(k + 1)) return k;
  }
}

/** Binomial by inversion (n·p stays below ~30 in every case here). */
function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  let r = q ** n;
  let u = random();
  let x = 0;
  while (u > r) {
    u -= r;
    x++;
    if (x > n) return n;
    r *= a / x - s;
    if (r <= 0) break;
  }
  return x;
}

/** Errors of n requests at rate p; clustered: bursts of Geometric(mean 3) errors, one subject each. */
function errorsOf(random: () => number, n: number, p: number, clustered: boolean): { errors: number; subjects: number } {
  if (!clustered) {
    const e = binomial(random, n, p);
    return { errors: e, subjects: e };
  }
  const bursts = poisson(random, (n * p) / 3);
  let errors = 0;
  for (let i = 0; i < bursts; i++) errors += 1 + Math.floor(Math.log(1 - random()) / Math.log(2 / 3));
  return { errors: Math.min(n, errors), subjects: Math.min(n, bursts) };
}

// Latency: lognormal(median, σ) split into the production slots. A Poisson count of requests split
// by slot is independent Poisson counts per slot, so each slot is drawn on its own.
function normalCdf(x: number): number {
  // Abramowitz & Stegun 7.1.26 on erf (|error| < 1.5e-7), plenty for slot probabilities.
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
function slotProbabilities(medianMs: number, sigma: number): number[] {
  const cdf = LATENCY_EDGES_MS.map((edge) => normalCdf((Math.log(edge) - Math.log(medianMs)) / sigma));
  return Array.from({ length: LATENCY_SLOTS }, (_, i) => (i < cdf.length ? cdf[i]! : 1) - (i === 0 ? 0 : cdf[i - 1]!));
}
const BASE_LATENCY = slotProbabilities(120, 0.6);
const SLOWER_LATENCY = slotProbabilities(120 * 1.2, 0.6);
const NO_LATENCY: readonly number[] = new Array<number>(LATENCY_SLOTS).fill(0);

// ---------------------------------------------------------------------------------------------
// One rollout's traffic as production rollup rows, looked at every 10 s.

interface ArmPlan {
  /** Error rate at time t (seconds since the rollout started). */
  rate: (t: number) => number;
  /** Latency slot probabilities, or null when the case does not need latency. */
  latency: number[] | null;
}

interface Look {
  t: number;
  /** The minute's rows so far (the open minute), or the minute that just closed at a minute boundary. */
  rows: [EvidenceRollupRow, EvidenceRollupRow];
  closesMinute: boolean;
}

/** Steps through a rollout, calling look() after every 10-s step; stops when look() returns true. */
function simulate(
  random: () => number,
  hours: number,
  arms: { on: ArmPlan; off: ArmPlan },
  clustered: boolean,
  look: (l: Look) => boolean,
  errorRequests?: (on: number, off: number) => void,
): void {
  const steps = (hours * 3600) / DT;
  let rows: [EvidenceRollupRow, EvidenceRollupRow] | null = null;
  for (let step = 1; step <= steps; step++) {
    const t = step * DT;
    const minute = Math.floor((t - DT) / 60) * 60_000;
    if (!rows) {
      const fresh = (variant: "on" | "off", latency: number[] | null): EvidenceRollupRow => ({
        minute,
        phase: 0,
        variant,
        reason: "SPLIT",
        requests: 0,
        errorSubjects: 0,
        latencyBuckets: latency ? new Array<number>(LATENCY_SLOTS).fill(0) : NO_LATENCY,
      });
      rows = [fresh("on", arms.on.latency), fresh("off", arms.off.latency)];
    }
    const counted: number[] = [];
    for (const [i, plan] of [arms.on, arms.off].entries()) {
      const row = rows[i]!;
      const mean = RPS * (i === 0 ? SHARE : 1 - SHARE) * DT;
      let n: number;
      if (plan.latency) {
        n = 0;
        const slots = row.latencyBuckets as number[];
        for (let s = 0; s < LATENCY_SLOTS; s++) {
          const k = poisson(random, mean * plan.latency[s]!);
          slots[s]! += k;
          n += k;
        }
      } else n = poisson(random, mean);
      const { errors, subjects } = errorsOf(random, n, plan.rate(t - DT), clustered);
      row.requests += n;
      row.errorSubjects += subjects;
      counted.push(errors);
    }
    errorRequests?.(counted[0]!, counted[1]!);
    const closesMinute = t % 60 === 0;
    if (look({ t, rows, closesMinute })) return;
    if (closesMinute) rows = null;
  }
}

/** The evidence of one test across looks: closed minutes' llr cached, the open minute added per look. */
class EvidenceStream {
  private closed: MinuteCounts[] = [];
  private llrClosed: number[] = RATIO_GRID.map(() => 0);
  private track: EvidenceTrack | null = null;
  alarmAt: number | null = null;
  /** What the alarm did when it was raised: roll back, or pause while control itself was elevated. */
  actionAtAlarm: "rollback" | "pause" | null = null;
  constructor(
    private readonly test: EvidenceTest,
    private readonly thresholdMs?: number,
  ) {}

  look(t: number, minute: MinuteCounts, closesMinute: boolean): boolean {
    if (this.alarmAt !== null) return true;
    const minuteLlr = splitLlr([minute]);
    const llr = addLlr(this.llrClosed, minuteLlr);
    this.closed.push(minute);
    const v = judgeEvidence(this.closed, { test: this.test, thresholdMs: this.thresholdMs, llr, previous: this.track });
    if (closesMinute) this.llrClosed = llr;
    else this.closed.pop();
    this.track = v.track;
    if (v.verdict === "alarm") {
      this.alarmAt = t;
      this.actionAtAlarm = v.action;
    }
    return this.alarmAt !== null;
  }
}

/** The seeds' fixed thresholds on the treatment's last 5 minutes (minute ≥ date_trunc('minute', now − 300 s)). */
class SeedBaseline {
  private minutes: { minute: number; requests: number; errors: number; slots: readonly number[] }[] = [];
  private openErrors = 0;
  firedAt: number | null = null;
  constructor(private readonly metrics: ("error_rate" | "success_rate" | "p95_ms")[]) {}

  addErrors(on: number): void {
    this.openErrors += on;
  }

  look(t: number, on: EvidenceRollupRow, closesMinute: boolean): void {
    if (this.firedAt !== null) return;
    const from = Math.floor((t - 300) / 60) * 60_000;
    let requests = on.requests;
    let errors = this.openErrors;
    const slots = [...on.latencyBuckets];
    for (const m of this.minutes) {
      if (m.minute < from) continue;
      requests += m.requests;
      errors += m.errors;
      m.slots.forEach((x, i) => (slots[i]! += x));
    }
    const metrics = { requests, errors, p95Ms: quantileUpperBoundMs(slots, 0.95) };
    for (const rule of SEED_GUARDRAILS) if (this.metrics.includes(rule.metric) && judge(rule, metrics).breached) this.firedAt = t;
    if (closesMinute) {
      this.minutes.push({ minute: on.minute, requests: on.requests, errors: this.openErrors, slots: on.latencyBuckets });
      if (this.minutes.length > 7) this.minutes.shift();
      this.openErrors = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Row {
  name: string;
  rollgate: string;
  seed: string;
  bar: string;
  ok: boolean | null;
}
const table: Row[] = [];

function wilson(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const rate = (k: number, n: number) => {
  const [lo, hi] = wilson(k, n);
  return `${pct(k / n)} [${pct(lo)}, ${pct(hi)}]`;
};
const secs = (s: number) => (s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
function ttd(times: (number | null)[]): { detected: number; median: number; p90: number; text: string } {
  const hit = times.filter((x): x is number => x !== null);
  // Runs that never alarm count as +∞, so the median and p90 are over all runs.
  const all = times.map((x) => x ?? Number.POSITIVE_INFINITY);
  const median = quantile(all, 0.5);
  const p90 = quantile(all, 0.9);
  const show = (x: number) => (Number.isFinite(x) ? secs(x) : "never");
  return {
    detected: hit.length,
    median,
    p90,
    text: `detected ${rate(hit.length, times.length)}; median ${show(median)}, p90 ${show(p90)}`,
  };
}

function timed(name: string, fn: () => void): void {
  if (only && !name.startsWith(only)) return;
  const t0 = process.hrtime.bigint();
  fn();
  console.log(`   (${name}: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s)`);
}

const steady = (p: number) => () => p;
const errorArms = (on: (t: number) => number, off: (t: number) => number) => ({
  on: { rate: on, latency: null },
  off: { rate: off, latency: null },
});

// ---------------------------------------------------------------------------------------------
// Cases

function aaErrors(clustered: boolean): void {
  const caseSeed = clustered ? 2 : 1;
  let alarms = 0;
  let tempered = 0;
  let seedAlarms = 0;
  for (let run = 0; run < RUNS; run++) {
    const subjects = new EvidenceStream("errors");
    // Contrast for the clustered case: error *requests* as events, protected only by φ̂.
    const requests = new EvidenceStream("errors");
    const seed = new SeedBaseline(["error_rate", "success_rate"]);
    const open = { on: 0, off: 0 };
    const requestMinute = { on: 0, off: 0 };
    simulate(
      rng(SEED + caseSeed, run),
      6,
      errorArms(steady(0.005), steady(0.005)),
      clustered,
      ({ t, rows, closesMinute }) => {
        const [minute] = errorMinutes(rows);
        subjects.look(t, minute!, closesMinute);
        if (clustered) {
          requestMinute.on += open.on;
          requestMinute.off += open.off;
          requests.look(t, { nT: minute!.nT, nC: minute!.nC, eT: requestMinute.on, eC: requestMinute.off }, closesMinute);
          if (closesMinute) requestMinute.on = requestMinute.off = 0;
        }
        seed.look(t, rows[0], closesMinute);
        return subjects.alarmAt !== null && (!clustered || requests.alarmAt !== null) && seed.firedAt !== null;
      },
      (on, off) => {
        open.on = on;
        open.off = off;
        seed.addErrors(on);
      },
    );
    if (subjects.alarmAt !== null) alarms++;
    if (requests.alarmAt !== null) tempered++;
    if (seed.firedAt !== null) seedAlarms++;
  }
  const name = clustered ? "A/A 6 h, 0.5 %, clustered errors (bursts of mean 3)" : "A/A 6 h, 0.5 % errors";
  const [, hi] = wilson(alarms, RUNS);
  table.push({
    name: `${name}: false alarms`,
    rollgate: rate(alarms, RUNS),
    seed: rate(seedAlarms, RUNS),
    bar: "≤ 5 %",
    ok: alarms / RUNS <= 0.05,
  });
  console.log(`   ${name}: upper 95 % bound on false alarms ${pct(hi)}`);
  if (clustered) {
    table.push({
      name: "  same runs, error requests (not subjects) as events, φ̂-tempered from minute 10",
      rollgate: rate(tempered, RUNS),
      seed: "",
      bar: "(contrast)",
      ok: null,
    });
  }
}

function globalIncident(): void {
  let kills = 0;
  let duringIncident = 0;
  let held = 0;
  let seedKills = 0;
  const incident = (t: number) => (t >= 3600 && t < 5400 ? 0.03 : 0.005);
  for (let run = 0; run < RUNS; run++) {
    const stream = new EvidenceStream("errors");
    const seed = new SeedBaseline(["error_rate", "success_rate"]);
    simulate(
      rng(SEED + 3, run),
      2,
      errorArms(incident, incident),
      false,
      ({ t, rows, closesMinute }) => {
        stream.look(t, errorMinutes(rows)[0]!, closesMinute);
        seed.look(t, rows[0], closesMinute);
        return stream.alarmAt !== null && seed.firedAt !== null;
      },
      (on) => seed.addErrors(on),
    );
    // Kills the incident could have caused: while it lasted, or in the 5 min after. An alarm raised
    // while control is elevated pauses instead (control-weather.ts).
    const inIncident = stream.alarmAt !== null && stream.alarmAt > 3600 && stream.alarmAt <= 5700;
    if (stream.actionAtAlarm === "rollback") {
      kills++;
      if (inIncident) duringIncident++;
    }
    if (inIncident && stream.actionAtAlarm === "pause") held++;
    if (seed.firedAt !== null) seedKills++;
  }
  table.push({
    name: "global incident: both arms 3 % for 30 min (2 h runs): kills during it or 5 min after",
    rollgate: `${rate(duringIncident, RUNS)} (paused instead: ${rate(held, RUNS)}; kills in the other 85 min, as in A/A: ${rate(kills - duringIncident, RUNS)})`,
    seed: rate(seedKills, RUNS),
    bar: "0",
    ok: duringIncident === 0,
  });
}

function detect(): void {
  const every: (number | null)[] = [];
  const minuteClose: (number | null)[] = [];
  const seedTimes: (number | null)[] = [];
  for (let run = 0; run < RUNS; run++) {
    const stream = new EvidenceStream("errors");
    const closed = new EvidenceStream("errors");
    const seed = new SeedBaseline(["error_rate", "success_rate"]);
    simulate(
      rng(SEED + 4, run),
      1,
      errorArms(steady(0.015), steady(0.005)),
      false,
      ({ t, rows, closesMinute }) => {
        const [minute] = errorMinutes(rows);
        stream.look(t, minute!, closesMinute);
        if (closesMinute) closed.look(t, minute!, true);
        seed.look(t, rows[0], closesMinute);
        return stream.alarmAt !== null && closed.alarmAt !== null && seed.firedAt !== null;
      },
      (on) => seed.addErrors(on),
    );
    // Only a roll back counts: an alarm that paused (control seen as elevated) did not roll back.
    every.push(stream.actionAtAlarm === "rollback" ? stream.alarmAt : null);
    minuteClose.push(closed.actionAtAlarm === "rollback" ? closed.alarmAt : null);
    seedTimes.push(seed.firedAt);
  }
  const a = ttd(every);
  const by = (s: number) => pct(every.filter((x) => x !== null && x <= s).length / RUNS);
  table.push({
    name: "0.5 → 1.5 % at 10 % of 100 req/s: time to roll back",
    rollgate: `${a.text} (by 90 s: ${by(90)}, by 3 min: ${by(180)})`,
    seed: ttd(seedTimes).text,
    bar: "median ≤ 90 s, p90 ≤ 3 min",
    ok: a.median <= 90 && a.p90 <= 180,
  });
  table.push({ name: "  same runs, looking only at minute close", rollgate: ttd(minuteClose).text, seed: "", bar: "(contrast)", ok: null });
}

function latency(shifted: boolean): void {
  const times: (number | null)[] = [];
  const seedTimes: (number | null)[] = [];
  let tRel = 0;
  const tAbs = absoluteSlowThresholdMs(SEED_GUARDRAILS.find((g) => g.metric === "p95_ms")!.threshold);
  for (let run = 0; run < RUNS; run++) {
    const random = rng(SEED + (shifted ? 5 : 6), run);
    // T_rel frozen before the rollout: the edge nearest p95 of 15 min of control traffic.
    const before = BASE_LATENCY.map((p) => poisson(random, RPS * 900 * p));
    tRel = relativeSlowThresholdMs(before)!;
    const relative = new EvidenceStream("latency_relative", tRel);
    const absolute = new EvidenceStream("latency_absolute", tAbs);
    const seed = new SeedBaseline(["p95_ms"]);
    simulate(
      random,
      1,
      {
        on: { rate: steady(0.005), latency: shifted ? SLOWER_LATENCY : BASE_LATENCY },
        off: { rate: steady(0.005), latency: BASE_LATENCY },
      },
      false,
      ({ t, rows, closesMinute }) => {
        relative.look(t, slowMinutes(rows, tRel)[0]!, closesMinute);
        absolute.look(t, slowMinutes(rows, tAbs)[0]!, closesMinute);
        seed.look(t, rows[0], closesMinute);
        return (relative.alarmAt !== null || absolute.alarmAt !== null) && seed.firedAt !== null;
      },
    );
    const paused = [relative.alarmAt, absolute.alarmAt].filter((x): x is number => x !== null);
    times.push(paused.length ? Math.min(...paused) : null);
    seedTimes.push(seed.firedAt);
  }
  if (shifted) {
    const within = times.filter((x) => x !== null && x <= 900).length;
    const a = ttd(times);
    table.push({
      name: `latency ×1.2 (median 120 → 144 ms, σ 0.6; T_rel ${tRel} ms, T_abs ${tAbs} ms): paused within 15 min`,
      rollgate: `${rate(within, RUNS)}; median ${secs(a.median)}, p90 ${secs(a.p90)}`,
      seed: ttd(seedTimes).text,
      bar: "≥ 80 %",
      ok: within / RUNS >= 0.8,
    });
  } else {
    const alarms = times.filter((x) => x !== null).length;
    const seedAlarms = seedTimes.filter((x) => x !== null).length;
    table.push({
      name: "latency A/A 1 h: false pauses (L1 + L2)",
      rollgate: rate(alarms, RUNS),
      seed: rate(seedAlarms, RUNS),
      bar: "≤ 2 %",
      ok: alarms / RUNS <= 0.02,
    });
  }
}

function srm(observed: number, hours: number): void {
  const newSubjectsPerSecond = 5;
  const times: (number | null)[] = [];
  for (let run = 0; run < RUNS; run++) {
    const random = rng(SEED + (observed === SHARE ? 7 : 8), run);
    let on = 0;
    let off = 0;
    let caught: number | null = null;
    for (let t = DT; t <= hours * 3600; t += DT) {
      on += poisson(random, newSubjectsPerSecond * DT * observed);
      off += poisson(random, newSubjectsPerSecond * DT * (1 - observed));
      if (checkSampleRatio({ subjectsOn: on, subjectsOff: off, expectedOnShare: SHARE }).alarm) {
        caught = t;
        break;
      }
    }
    times.push(caught);
  }
  const a = ttd(times);
  if (observed === SHARE) {
    table.push({
      name: `SRM A/A ${hours} h (10 % configured and served, ${newSubjectsPerSecond} new subjects/s): false holds`,
      rollgate: rate(a.detected, RUNS),
      seed: "",
      bar: "≤ 0.1 %",
      ok: a.detected / RUNS <= 0.001,
    });
  } else {
    table.push({
      name: `SRM: 10 % configured, 11 % of subjects served on (${newSubjectsPerSecond} new subjects/s, ${hours} h)`,
      rollgate: a.text,
      seed: "(none)",
      bar: "caught",
      ok: a.detected / RUNS >= 0.8,
    });
  }
}

/**
 * The SRM as the guardrail worker judges it: distinct subjects counted by the rollups' HyperLogLog
 * sketches (real sketches of simulated subjects, not a model of their error), with the sketches'
 * error as a margin. Fewer runs: every subject is hashed.
 */
function srmSketched(observed: number, hours: number): void {
  const newSubjectsPerSecond = 5;
  const runs = observed === SHARE ? RUNS : Math.max(100, Math.round(RUNS / 4));
  const times: (number | null)[] = [];
  for (let run = 0; run < runs; run++) {
    const random = rng(SEED + (observed === SHARE ? 9 : 10), run);
    const on = emptySketch();
    const off = emptySketch();
    let seen = 0;
    let caught: number | null = null;
    for (let t = DT; t <= hours * 3600; t += DT) {
      for (let i = poisson(random, newSubjectsPerSecond * DT * observed); i > 0; i--) addSubject(on, `r${run}-s${seen++}`);
      for (let i = poisson(random, newSubjectsPerSecond * DT * (1 - observed)); i > 0; i--) addSubject(off, `r${run}-s${seen++}`);
      if (checkSketchedSampleRatio(on, off, SHARE).alarm) {
        caught = t;
        break;
      }
    }
    times.push(caught);
  }
  const a = ttd(times);
  table.push(
    observed === SHARE
      ? {
          name: `SRM from sketches (as the worker judges it) A/A ${hours} h, ${runs} runs: false holds`,
          rollgate: rate(a.detected, runs),
          seed: "",
          bar: "≤ 0.1 %",
          ok: a.detected / runs <= 0.001,
        }
      : {
          name: `SRM from sketches: 10 % configured, ${observed * 100} % served on (${hours} h, ${runs} runs)`,
          rollgate: a.text,
          seed: "(none)",
          bar: "caught",
          ok: a.detected / runs >= 0.8,
        },
  );
}

console.log(
  `Guardrail statistics: ${RUNS.toLocaleString("en-US")} runs a case, seed ${SEED}, ${RPS} req/s at ${SHARE * 100} % unless said, ` +
    `looks every ${DT} s including the open minute; α errors 0.03, latency 0.01 + 0.01, SRM 0.001`,
);
timed("aa", () => aaErrors(false));
timed("aa-clustered", () => aaErrors(true));
timed("incident", globalIncident);
timed("detect", detect);
timed("latency", () => latency(true));
timed("latency-aa", () => latency(false));
timed("srm", () => srm(0.11, 6));
timed("srm-aa", () => srm(SHARE, 6));
timed("srm-sketched", () => srmSketched(0.2, 6));
timed("srm-sketched-aa", () => srmSketched(SHARE, 6));

const widths = [0, 0, 0, 0];
const cells = (r: Row) => [r.name, r.rollgate, r.seed, `${r.bar}${r.ok === null ? "" : r.ok ? " ✓" : " ✗"}`];
const header = ["case", "Rollgate (evidence)", "seed thresholds", "issue 23 bar"];
for (const r of [header, ...table.map(cells)]) r.forEach((c, i) => (widths[i] = Math.max(widths[i]!, c.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`\n${line(header)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of table) console.log(line(cells(r)));
const failed = table.filter((r) => r.ok === false);
if (failed.length) {
  console.log(`\n${failed.length} figure(s) miss the bar.`);
  process.exitCode = 1;
}
