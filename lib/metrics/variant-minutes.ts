import type { Db } from "../db/client";
import { LATENCY_SLOTS } from "../domain/latency-buckets";
import type { VariantMinute } from "../domain/variant-comparison";

/**
 * Per-variant minutes of one flag in one environment from metric_variant_rollups, summed over tokens
 * and phases: what the Variants section and the variant guardrail both judge. `until` bounds the
 * window (the API's "now"); `heldOut` leaves out tokens whose reports disagree with the others.
 * Only rows with outcomes: what Unleash SDKs report serving (no outcomes) is `variantEvaluations`.
 */
export async function variantMinutes(
  db: Db,
  where: { flagId: string; environment: string; since: Date; until?: Date; heldOut?: readonly string[] },
): Promise<VariantMinute[]> {
  const until = where.until ?? new Date(8.64e15);
  const rows = await db.$queryRaw<
    { minute: Date; variant_name: string; requests: number; errors: number; latency_sum_ms: number; latency_buckets: number[] }[]
  >`
    SELECT minute, variant_name, requests::float8 AS requests, errors::float8 AS errors, latency_sum_ms, latency_buckets::float8[] AS latency_buckets
    FROM metric_variant_rollups
    WHERE flag_id = ${where.flagId}::uuid AND environment_key = ${where.environment}
      AND minute >= ${where.since}::timestamptz AND minute <= ${until}::timestamptz
      AND requests > 0
      AND (token_id IS NULL OR NOT token_id = ANY(${[...(where.heldOut ?? [])]}::uuid[]))`;
  const minutes = new Map<string, VariantMinute & { slots: number[] }>();
  for (const r of rows) {
    const key = `${r.minute.getTime()}\u0000${r.variant_name}`;
    const m = minutes.get(key) ?? {
      minute: r.minute.getTime(),
      name: r.variant_name,
      requests: 0,
      errors: 0,
      latencySumMs: 0,
      slots: new Array<number>(LATENCY_SLOTS).fill(0),
    };
    m.requests += r.requests;
    m.errors += r.errors;
    m.latencySumMs += r.latency_sum_ms;
    r.latency_buckets.forEach((n, i) => (m.slots[i]! += Number(n)));
    minutes.set(key, m);
  }
  return [...minutes.values()];
}

/**
 * How often each variant was served in the window by what Unleash SDKs reported (`POST
 * /api/client/metrics`), which carries no outcomes: by variant name, the ones with none left out.
 */
export async function variantEvaluations(
  db: Db,
  where: { flagId: string; environment: string; since: Date; until: Date },
): Promise<Record<string, number>> {
  const rows = await db.$queryRaw<{ variant_name: string; n: number }[]>`
    SELECT variant_name, sum(evaluations)::float8 AS n
    FROM metric_variant_rollups
    WHERE flag_id = ${where.flagId}::uuid AND environment_key = ${where.environment}
      AND minute >= ${where.since}::timestamptz AND minute <= ${where.until}::timestamptz
      AND evaluations > 0
    GROUP BY variant_name
    ORDER BY variant_name`;
  return Object.fromEntries(rows.map((r) => [r.variant_name, r.n]));
}
