import type { Tx } from "../db/client";
import { quantileUpperBoundMs, LATENCY_SLOTS } from "../domain/latency-buckets";
import type { LeftOut, WindowMetrics } from "../domain/rollout";
import { disagreeingTokens, type HeldOutToken } from "../domain/token-agreement";
import { groupBy } from "../domain/group-by";

/** Window metrics without the reports of tokens that disagree with the others, and who those are. */
export interface AttributedWindowMetrics extends WindowMetrics {
  heldOut: HeldOutToken[];
}

/** One window to read: a flag's treatment traffic in an environment, of one phase (or of all, with `phase` null). */
export interface WindowQuery {
  flagId: string;
  environment: string;
  phase: number | null;
  windowSeconds: number;
  /** The phase's configured split, used when only two tokens reported (lib/domain/token-agreement.ts). */
  expectedOnShare?: number | null;
}

/**
 * Treatment (`on`) traffic of one phase (or of all, with `phase` null) over the window, from the per-minute rollups. Minutes are
 * whole, so the window starts at the minute boundary at or before `now - window`. When several SDK
 * tokens reported, a token whose split disagrees with the others' (lib/domain/token-agreement.ts;
 * `expectedOnShare` is the phase's configured split, used when only two tokens reported) is held
 * out: its `on` reports are subtracted, and `heldOut` says who and why.
 */
export async function windowMetrics(
  tx: Tx,
  flagId: string,
  environment: string,
  phase: number | null,
  windowSeconds: number,
  now: Date,
  expectedOnShare: number | null = null,
): Promise<AttributedWindowMetrics> {
  return (await windowMetricsOf(tx, [{ flagId, environment, phase, windowSeconds, expectedOnShare }], now))[0]!;
}

/**
 * `windowMetrics` of many windows, in the order given, in two queries whatever their number: a list of
 * live rollouts reads every one's current phase this way.
 */
export async function windowMetricsOf(tx: Tx, queries: readonly WindowQuery[], now: Date): Promise<AttributedWindowMetrics[]> {
  if (queries.length === 0) return [];
  const args = [
    queries.map((q) => q.flagId),
    queries.map((q) => q.environment),
    queries.map((q) => q.phase),
    queries.map((q) => new Date(now.getTime() - q.windowSeconds * 1000)),
  ];
  const [totals, tokenRows] = await Promise.all([
    tx.$queryRawUnsafe<{ i: number; requests: number; errors: number; buckets: number[] | null }[]>(TOTALS_SQL, ...args),
    tx.$queryRawUnsafe<TokenRow[]>(TOKEN_WINDOW_SQL, ...args),
  ]);
  const totalsOf = new Map(totals.map((r) => [r.i, r]));
  const tokensOf = groupBy(tokenRows, (row) => row.i);
  return queries.map((q, index) => attribute(totalsOf.get(index + 1), tokensOf.get(index + 1) ?? [], q.expectedOnShare ?? null));
}

/**
 * Only who `windowMetrics` would hold out of one window (its tokens' splits compared), without the
 * window's totals: what a comparison over a rollout's whole life needs before it reads the minutes.
 */
export async function heldOutTokensOf(tx: Tx, query: WindowQuery, now: Date): Promise<HeldOutToken[]> {
  const tokens = await tx.$queryRawUnsafe<TokenRow[]>(
    TOKEN_WINDOW_SQL,
    [query.flagId],
    [query.environment],
    [query.phase],
    [new Date(now.getTime() - query.windowSeconds * 1000)],
  );
  return disagreeingTokens(
    tokens.map((t) => ({ tokenId: t.token_id, label: t.label, on: t.split_on, off: t.split_off })),
    query.expectedOnShare ?? null,
  );
}

interface TokenRow {
  i: number;
  token_id: string;
  label: string;
  split_on: number;
  split_off: number;
  requests: number;
  errors: number;
  buckets: number[];
}

/** The windows to read, numbered from 1 in the order given: $1 flag ids, $2 environments, $3 phases, $4 starts. */
const WINDOWS = `unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[]) WITH ORDINALITY AS q(flag_id, environment_key, phase, since, i)`;

/** Each window's `on` requests, errors and latency slots. */
const TOTALS_SQL = `
SELECT q.i::int AS i, w.requests, w.errors, w.buckets
FROM ${WINDOWS}
CROSS JOIN LATERAL (
  SELECT coalesce(sum(m.requests), 0)::float8 AS requests, coalesce(sum(m.errors), 0)::float8 AS errors,
         ARRAY(SELECT sum(b)::float8 FROM metric_rollups m2, unnest(m2.latency_buckets) WITH ORDINALITY AS u(b, slot)
               WHERE m2.flag_id = q.flag_id AND m2.environment_key = q.environment_key AND m2.variant = 'on'
                 AND (q.phase IS NULL OR m2.phase = q.phase) AND m2.minute >= date_trunc('minute', q.since)
               GROUP BY slot ORDER BY slot) AS buckets
  FROM metric_rollups m
  WHERE m.flag_id = q.flag_id AND m.environment_key = q.environment_key AND m.variant = 'on'
    AND (q.phase IS NULL OR m.phase = q.phase) AND m.minute >= date_trunc('minute', q.since)) w`;

const tokenSums = Array.from({ length: LATENCY_SLOTS }, (_, i) => `sum(t.latency_buckets[${i + 1}]) FILTER (WHERE t.variant = 'on')`).join(
  ", ",
);

/**
 * Per window and SDK token: the SPLIT requests each served `on` and `off` (to compare tokens'
 * splits), and its `on` counts (to leave a held-out token out).
 */
const TOKEN_WINDOW_SQL = `
SELECT q.i::int AS i, t.token_id, a.name || ' (' || a.token_prefix || '…)' AS label,
       coalesce(sum(t.requests) FILTER (WHERE t.reason = 'SPLIT' AND t.variant = 'on'), 0)::float8 AS split_on,
       coalesce(sum(t.requests) FILTER (WHERE t.reason = 'SPLIT' AND t.variant = 'off'), 0)::float8 AS split_off,
       coalesce(sum(t.requests) FILTER (WHERE t.variant = 'on'), 0)::float8 AS requests,
       coalesce(sum(t.errors) FILTER (WHERE t.variant = 'on'), 0)::float8 AS errors,
       ARRAY[${tokenSums}]::float8[] AS buckets
FROM ${WINDOWS}
JOIN metric_rollups_by_token t
  ON t.flag_id = q.flag_id AND t.environment_key = q.environment_key AND (q.phase IS NULL OR t.phase = q.phase)
 AND t.minute >= date_trunc('minute', q.since) AND t.reason <> 'CLIENT_METRICS'
JOIN api_tokens a ON a.id = t.token_id
GROUP BY q.i, t.token_id, a.name, a.token_prefix
ORDER BY q.i, t.token_id`;

/** One window's figures with the tokens that disagree with the others held out. */
function attribute(
  total: { requests: number; errors: number; buckets: number[] | null } | undefined,
  tokens: readonly TokenRow[],
  expectedOnShare: number | null,
): AttributedWindowMetrics {
  const slots = Array.from({ length: LATENCY_SLOTS }, (_, i) => Number(total?.buckets?.[i] ?? 0));
  let requests = Number(total?.requests ?? 0);
  let errors = Number(total?.errors ?? 0);
  const heldOut = disagreeingTokens(
    tokens.map((t) => ({ tokenId: t.token_id, label: t.label, on: t.split_on, off: t.split_off })),
    expectedOnShare,
  );
  for (const h of heldOut) {
    const t = tokens.find((x) => x.token_id === h.tokenId)!;
    requests = Math.max(0, requests - t.requests);
    errors = Math.max(0, Math.min(requests, errors - t.errors));
    t.buckets.forEach((n, i) => (slots[i] = Math.max(0, slots[i]! - n)));
  }
  const p95 = quantileUpperBoundMs(slots, 0.95);
  // Each remaining token left out in turn (see WindowMetrics.withoutEach): one that copies the real
  // split faithfully is not held out, yet with enough error-free `on` it would dilute a red error rate.
  const reporting = tokens.filter((t) => t.requests > 0 && !heldOut.some((h) => h.tokenId === t.token_id));
  const withoutEach: LeftOut[] =
    reporting.length < 2
      ? []
      : reporting.map((t) => {
          const rest = Math.max(0, requests - t.requests);
          return {
            label: t.label,
            requests: rest,
            errors: Math.max(0, Math.min(rest, errors - t.errors)),
            p95Ms: quantileUpperBoundMs(
              slots.map((n, i) => Math.max(0, n - Number(t.buckets[i] ?? 0))),
              0.95,
            ),
          };
        });
  return { requests, errors, p95Ms: p95, heldOut, withoutEach };
}
