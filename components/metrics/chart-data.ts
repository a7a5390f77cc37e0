import type { MetricPoint, MetricsResponse } from "@/lib/metrics/metrics-schemas";

export const RANGES = {
  "1 h": { windowSeconds: 3600, bucketSeconds: 60 },
  "6 h": { windowSeconds: 6 * 3600, bucketSeconds: 300 },
  "24 h": { windowSeconds: 24 * 3600, bucketSeconds: 900 },
  "7 d": { windowSeconds: 7 * 24 * 3600, bucketSeconds: 3600 },
} as const;
export type RangeName = keyof typeof RANGES;

export const COLORS = { on: "#4f46e5", off: "#64748b" } as const;

export type Row = { t: number } & Partial<Record<string, number | null>>;

/** Dense rows, one per bucket of the window: no traffic is 0 requests and a gap in the rates. */
export function toRows(data: MetricsResponse): Row[] {
  const step = data.bucketSeconds * 1000;
  const byT = new Map<number, MetricPoint[]>();
  for (const p of data.series) {
    const t = Date.parse(p.t);
    byT.set(t, [...(byT.get(t) ?? []), p]);
  }
  const rows: Row[] = [];
  for (let t = Date.parse(data.from); t <= Date.parse(data.to); t += step) {
    const row: Row = { t, on_requests: 0, off_requests: 0, adoption: null };
    for (const p of byT.get(t) ?? []) {
      const v = p.variant;
      row[`${v}_requests`] = p.requests;
      row[`${v}_errors`] = p.errors;
      row[`${v}_success`] = p.successRate === null ? null : p.successRate * 100;
      row[`${v}_error`] = p.errorRate === null ? null : p.errorRate * 100;
      row[`${v}_p50`] = p.p50Ms;
      row[`${v}_p95`] = p.p95Ms;
      row[`${v}_p99`] = p.p99Ms;
      row.adoption = p.adoption === null ? null : p.adoption * 100;
    }
    rows.push(row);
  }
  return rows;
}

// One formatter each, made once: `toLocaleTimeString(…, options)` builds a new Intl.DateTimeFormat on
// every call, and Recharts formats every bucket's time to measure its ticks, so a flag page's five
// charts spent about 50 ms of a 370-ms load building formatters (Chromium's profiler, the demo).
const DAY_FORMAT = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const HOUR_FORMAT = new Intl.DateTimeFormat(undefined, { hour: "2-digit" });
const MINUTE_FORMAT = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const FULL_FORMAT = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

export const timeLabel = (windowSeconds: number) => (t: number) =>
  windowSeconds > 24 * 3600 ? `${DAY_FORMAT.format(t)} ${HOUR_FORMAT.format(t)}` : MINUTE_FORMAT.format(t);
/** The tooltip's time: what `Date#toLocaleString()` says, in the browser's locale. */
export const tooltipLabel = (t: unknown) => (typeof t === "number" ? FULL_FORMAT.format(t) : "");
export const pct = (v: unknown) => (typeof v === "number" ? `${Number(v.toFixed(2))} %` : "—");
export const ms = (v: unknown) => (typeof v === "number" ? `${v.toLocaleString()} ms` : "—");

/**
 * Whether a line's point at `index` stands alone: drawn (it has a y) with no drawn neighbour, so no
 * line segment reaches it. Only such points get a dot (`isolatedDot`).
 */
export function isLonePoint(points: readonly { y?: number | null }[], index: number): boolean {
  return points[index]?.y != null && points[index - 1]?.y == null && points[index + 1]?.y == null;
}

/**
 * Where a vertical marker's label goes: right of its line, or left of it in the last fifth of the
 * window, where a label written rightwards runs off the chart. A kill is marked at "now", the right
 * edge, which is when on-call reads the chart; its "kill" was cut to "k" there.
 */
export function markerLabelPosition(x: number, from: number, to: number): "insideTopLeft" | "insideTopRight" {
  return to > from && x > from + 0.8 * (to - from) ? "insideTopRight" : "insideTopLeft";
}

/**
 * Each marker's label placement: its side (markerLabelPosition) and its row, counted down
 * from the top, so that markers closer than 4 % of the window apart (a kill pauses the rollout in the
 * same instant, and both are marked) do not write their labels over each other. In input order.
 */
export function markerLabels(
  times: readonly number[],
  from: number,
  to: number,
): { position: ReturnType<typeof markerLabelPosition>; row: number }[] {
  const near = 0.04 * Math.max(to - from, 0);
  const order = times.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const rows = new Array<number>(times.length).fill(0);
  order.forEach(({ x, i }, k) => {
    const before = order[k - 1];
    if (before && x - before.x <= near) rows[i] = rows[before.i]! + 1;
  });
  return times.map((x, i) => ({ position: markerLabelPosition(x, from, to), row: rows[i]! }));
}
