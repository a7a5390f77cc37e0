// The SQL twin of the guardrail evidence (20261202001000_guardrail_evidence.sql) gives the same
// numbers as lib/domain on the same rollups: log E of errors and slow requests, and the φ̂ temper.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { errorMinutes, slowMinutes, type EvidenceRollupRow } from "../../lib/domain/guardrail-evidence";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { logEvidence, temperFor } from "../../lib/domain/split-evidence";

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 2, 10, 0);
let flagId: string;
let otherFlagId: string;
const rows: EvidenceRollupRow[] = [];

/** Rows of a 40-minute rollout: 10 % then 50 % (the switch inside minute 20), `on` worse and slower. */
function generate(): void {
  let seed = 20261202;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const poisson = (mean: number) => {
    let k = 0;
    for (let p = Math.exp(-mean), s = p, u = rnd(); u > s; k++) s += p *= mean / (k + 1);
    return k;
  };
  const histogram = (requests: number, slowShare: number) => {
    const slots = new Array<number>(LATENCY_SLOTS).fill(0);
    for (let i = 0; i < requests; i++) slots[rnd() < slowShare ? 10 + Math.floor(rnd() * 10) : Math.floor(rnd() * 10)]!++;
    return slots;
  };
  for (let m = 0; m < 40; m++) {
    const phases = m < 20 ? [0] : m === 20 ? [0, 1] : [1];
    for (const phase of phases) {
      const share = phase === 0 ? 0.1 : 0.5;
      const traffic = phases.length === 2 ? 300 : 600;
      for (const variant of ["on", "off"] as const) {
        const requests = poisson(traffic * (variant === "on" ? share : 1 - share));
        const rate = variant === "on" ? 0.02 : 0.01;
        const errorSubjects = Math.min(requests, poisson(requests * rate * (m % 7 === 0 ? 3 : 1)));
        const latencyBuckets = histogram(requests, variant === "on" ? 0.12 : 0.08);
        rows.push({ minute: START + m * MINUTE, phase, variant, reason: "SPLIT", requests, errorSubjects, latencyBuckets });
      }
    }
  }
}

const t = setUpTestDatabase();
beforeAll(async () => {
  generate();
  flagId = (await t.sql(`INSERT INTO flags (key) VALUES ('evidence') RETURNING id`)).rows[0].id;
  otherFlagId = (await t.sql(`INSERT INTO flags (key) VALUES ('bystander') RETURNING id`)).rows[0].id;
  const insert = (flag: string, env: string, r: EvidenceRollupRow) =>
    t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects, latency_buckets)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
      [flag, env, r.variant, new Date(r.minute), r.phase, r.reason, r.requests, r.errorSubjects, r.latencyBuckets],
    );
  for (const r of rows) await insert(flagId, "production", r);
  // Rows either function must ignore: targeted traffic, another flag, another environment.
  const noise = (r: EvidenceRollupRow) => ({ ...r, requests: r.requests + 50, errorSubjects: r.errorSubjects + 40 });
  for (const r of rows.slice(0, 12)) {
    await insert(flagId, "production", { ...noise(r), reason: "TARGETING_MATCH" });
    await insert(otherFlagId, "production", noise(r));
    await insert(flagId, "staging", noise(r));
  }
});

const close = (sql: number, ts: number) => expect(Math.abs(sql - ts)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ts)));
const since = (minute: number) => new Date(START + minute * MINUTE);
const after = (minute: number) => rows.filter((r) => r.minute >= START + minute * MINUTE);

describe("rollgate_error_evidence and rollgate_error_temper", () => {
  it("equal the TypeScript log E and φ̂ over the whole rollout, tempered or not, at θ0 = 1 and 1.5", async () => {
    const minutes = errorMinutes(rows);
    expect(minutes).toHaveLength(40);
    const phi = temperFor(minutes);
    const { rows: got } = await t.sql(
      `SELECT rollgate_error_temper($1, 'production', $2) AS phi,
              rollgate_error_evidence($1, 'production', $2, 1, 1) AS plain,
              rollgate_error_evidence($1, 'production', $2, 1, rollgate_error_temper($1, 'production', $2)) AS tempered,
              rollgate_error_evidence($1, 'production', $2, 1.5, 1) AS tolerant`,
      [flagId, since(0)],
    );
    close(got[0].phi, phi);
    expect(phi).toBeGreaterThan(1); // the bursts every 7th minute make it measurable
    const plain = logEvidence(minutes);
    expect(plain).toBeGreaterThan(3);
    close(got[0].plain, plain);
    close(got[0].tempered, logEvidence(minutes, 1, phi));
    close(got[0].tolerant, logEvidence(minutes, 1.5, 1));
  });

  it("agree from a later start, with fewer than 10 minutes (φ̂ = 1) and with none (E = 1)", async () => {
    for (const from of [25, 33, 40]) {
      const minutes = errorMinutes(after(from));
      const { rows: got } = await t.sql(
        `SELECT rollgate_error_temper($1, 'production', $2) AS phi, rollgate_error_evidence($1, 'production', $2, 1, 1) AS e`,
        [flagId, since(from)],
      );
      close(got[0].phi, temperFor(minutes));
      close(got[0].e, logEvidence(minutes));
    }
    const { rows: none } = await t.sql(`SELECT rollgate_error_evidence($1, 'production', $2, 1, 1) AS e`, [flagId, since(40)]);
    expect(none[0].e).toBe(0);
  });
});

describe("rollgate_slow_evidence and rollgate_slow_temper", () => {
  it.each([300, 1000, 5, 10_000])("equal the TypeScript slow-request evidence at %i ms", async (thresholdMs) => {
    const minutes = slowMinutes(rows, thresholdMs);
    const phi = temperFor(minutes);
    const { rows: got } = await t.sql(
      `SELECT rollgate_slow_temper($1, 'production', $2, $3) AS phi, rollgate_slow_evidence($1, 'production', $2, $3, 1, $4) AS e`,
      [flagId, since(0), thresholdMs, phi],
    );
    close(got[0].phi, phi);
    close(got[0].e, logEvidence(minutes, 1, phi));
  });

  it("counts slow requests from the slot whose lower edge is the threshold", async () => {
    const { rows: got } = await t.sql(
      `SELECT sum(e_t) AS slow_on, sum(n_t) AS on_total FROM rollgate_slow_minutes($1, 'production', $2, 300)`,
      [flagId, since(0)],
    );
    const onRows = rows.filter((r) => r.variant === "on");
    // Slot index 10 (0-based) is (300, 400]: its lower edge is 300, so slots 10… are slow.
    expect(got[0].slow_on).toBe(onRows.reduce((a, r) => a + r.latencyBuckets.slice(10).reduce((x, y) => x + y, 0), 0));
    expect(got[0].on_total).toBe(onRows.reduce((a, r) => a + r.requests, 0));
  });
});
