/**
 * A small Prometheus registry: counters, gauges and histograms with label sets, written in the text
 * exposition format 0.0.4. Our own rather than prom-client, because the hot paths (evaluation,
 * request accounting) need a child looked up once and incremented without allocating, and that is
 * all this has to do.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds, from a millisecond figure: what latency histograms and lag gauges are given in. */
export const DEFAULT_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

type Labels<L extends string> = Record<L, string>;

abstract class Metric<L extends string, Child> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly children = new Map<string, { values: string[]; child: Child }>();

  constructor(options: MetricOptions<L>) {
    if (!METRIC_NAME.test(options.name)) throw new Error(`invalid metric name: ${options.name}`);
    for (const l of options.labelNames ?? []) {
      if (!LABEL_NAME.test(l) || l.startsWith("__")) throw new Error(`invalid label name on ${options.name}: ${l}`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  abstract readonly type: "counter" | "gauge" | "histogram";
  protected abstract create(): Child;
  protected abstract write(lines: string[], values: readonly string[], child: Child): void;

  /** The series for these label values, created on first use. Keep it: looking it up again allocates. */
  labels(labels: Labels<L>): Child {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (typeof v !== "string") throw new Error(`${this.name}: label ${n} is missing`);
      return v;
    });
    const key = values.join("\u0000");
    let entry = this.children.get(key);
    if (!entry) this.children.set(key, (entry = { values, child: this.create() }));
    return entry.child;
  }

  /** Forgets every series (gauges computed at scrape time start from nothing each time). */
  reset(): void {
    this.children.clear();
  }

  collect(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const { values, child } of this.children.values()) this.write(lines, values, child);
  }
}

export interface CounterChild {
  inc(by?: number): void;
  readonly value: number;
}

class CounterSeries implements CounterChild {
  value = 0;
  inc(by = 1): void {
    // A counter only goes up; a negative or NaN increment is a bug that must not corrupt the series.
    if (by > 0) this.value += by;
  }
}

export class Counter<L extends string = never> extends Metric<L, CounterChild> {
  readonly type = "counter";
  constructor(options: MetricOptions<L>) {
    super(options);
    if (!options.name.endsWith("_total")) throw new Error(`counter names end in _total: ${options.name}`);
  }
  protected create(): CounterChild {
    return new CounterSeries();
  }
  protected write(lines: string[], values: readonly string[], child: CounterChild): void {
    lines.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
  }
  /** For a counter without labels. */
  inc(by = 1): void {
    this.labels({} as Labels<L>).inc(by);
  }
  /** A counter kept elsewhere (e.g. a store's own tally), copied in at scrape time; never lowered. */
  set(labels: Labels<L>, total: number): void {
    const child = this.labels(labels);
    child.inc(total - child.value);
  }
}

export interface GaugeChild {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
  readonly value: number;
}

class GaugeSeries implements GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge<L extends string = never> extends Metric<L, GaugeChild> {
  readonly type = "gauge";
  protected create(): GaugeChild {
    return new GaugeSeries();
  }
  protected write(lines: string[], values: readonly string[], child: GaugeChild): void {
    lines.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
  }
  /** For a gauge without labels. */
  set(value: number): void {
    this.labels({} as Labels<L>).set(value);
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

class HistogramSeries implements HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    // Per bucket, not cumulative: written out cumulatively at scrape time, so an observation is one add.
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class Histogram<L extends string = never> extends Metric<L, HistogramChild> {
  readonly type = "histogram";
  readonly buckets: readonly number[];
  constructor(options: MetricOptions<L> & { buckets?: readonly number[] }) {
    super(options);
    if ((options.labelNames as readonly string[] | undefined)?.includes("le")) throw new Error(`${options.name}: "le" is reserved`);
    const buckets = [...(options.buckets ?? DEFAULT_LATENCY_BUCKETS)];
    if (!buckets.length || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`${options.name}: buckets must be finite and increasing`);
    }
    this.buckets = buckets;
  }
  protected create(): HistogramChild {
    return new HistogramSeries(this.buckets);
  }
  protected write(lines: string[], values: readonly string[], child: HistogramChild): void {
    const series = child as HistogramSeries;
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += series.counts[i]!;
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${formatValue(this.buckets[i]!)}"`)} ${cumulative}`);
    }
    lines.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${series.count}`);
    lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(series.sum)}`);
    lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${series.count}`);
  }
  /** For a histogram without labels. */
  observe(value: number): void {
    this.labels({} as Labels<L>).observe(value);
  }
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: (() => void)[] = [];

  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.add(new Counter<L>(options));
  }
  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.add(new Gauge<L>(options));
  }
  histogram<L extends string = never>(options: MetricOptions<L> & { buckets?: readonly number[] }): Histogram<L> {
    return this.add(new Histogram<L>(options));
  }

  /** Runs before every scrape: for values read from elsewhere (a pool, a store, the process). */
  onCollect(collect: () => void): () => void {
    this.collectors.push(collect);
    return () => {
      const i = this.collectors.indexOf(collect);
      if (i !== -1) this.collectors.splice(i, 1);
    };
  }

  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  /** The whole registry in the text exposition format (0.0.4). */
  expose(): string {
    for (const collect of this.collectors) collect();
    const lines: string[] = [];
    for (const metric of this.metrics.values()) metric.collect(lines);
    return `${lines.join("\n")}\n`;
  }

  /**
   * Registering a name again returns the metric already there, series and all, when it is the same
   * kind with the same labels: a database session re-opened in the same process registers its
   * collectors again (scripts/start.ts). Anything else under a taken name is a mistake.
   */
  private add<M extends AnyMetric>(metric: M): M {
    const existing = this.metrics.get(metric.name);
    if (existing) {
      if (existing.type === metric.type && existing.labelNames.join() === metric.labelNames.join()) return existing as M;
      throw new Error(`metric registered twice: ${metric.name}`);
    }
    this.metrics.set(metric.name, metric as AnyMetric);
    return metric;
  }
}
