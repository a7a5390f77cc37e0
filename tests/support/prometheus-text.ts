// A strict parser of Prometheus' text exposition format 0.0.4, for tests of GET /metrics: it throws on
// anything a Prometheus server would refuse or misread (bad names, bad escapes, a family split in two,
// a TYPE after its samples, a histogram without its +Inf bucket or with buckets that decrease).

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, … for a histogram). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(["counter", "gauge", "histogram", "summary", "untyped"]);

function fail(lineNo: number, line: string, why: string): never {
  throw new Error(`exposition line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
}

function parseValue(text: string, lineNo: number, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(lineNo, line, `not a number: ${text}`);
  return Number(text);
}

function unescapeHelp(text: string, lineNo: number, line: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    return fail(lineNo, line, `invalid escape in HELP: \\${c}`);
  });
}

/** `{a="x",b="y"}` starting at `at`; returns the labels and the index after `}`. */
function parseLabels(line: string, at: number, lineNo: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (!name || !LABEL_NAME.test(name)) fail(lineNo, line, "invalid label name");
    if (name in labels) fail(lineNo, line, `label ${name} twice`);
    i += name.length;
    if (line[i] !== "=" || line[i + 1] !== '"') fail(lineNo, line, `label ${name}: expected ="`);
    i += 2;
    let value = "";
    for (;;) {
      const c = line[i];
      if (c === undefined) fail(lineNo, line, "unterminated label value");
      if (c === '"') break;
      if (c === "\\") {
        const next = line[i + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else fail(lineNo, line, `invalid escape in label value: \\${next ?? ""}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") fail(lineNo, line, "expected , or } after a label");
  }
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it. */
function familyOf(sample: string, types: Map<string, MetricType>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sample.endsWith(suffix)) {
      const base = sample.slice(0, -suffix.length);
      const type = types.get(base);
      if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
    }
  }
  return sample;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { buckets: [] }));
    if (s.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      entry.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
      if (Number.isNaN(entry.buckets.at(-1)![0])) throw new Error(`${family.name}: le="${le}" is not a number`);
    } else if (le !== undefined) throw new Error(`${family.name}: le on ${s.name}`);
    else if (s.name === `${family.name}_sum`) entry.sum = s.value;
    else if (s.name === `${family.name}_count`) entry.count = s.value;
    else throw new Error(`${family.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [key, entry] of series) {
    const where = `${family.name}${key}`;
    if (entry.sum === undefined || entry.count === undefined) throw new Error(`${where}: _sum or _count missing`);
    const last = entry.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${where}: the le="+Inf" bucket is missing or not last`);
    if (last[1] !== entry.count) throw new Error(`${where}: the +Inf bucket (${last[1]}) differs from _count (${entry.count})`);
    for (let i = 1; i < entry.buckets.length; i++) {
      if (!(entry.buckets[i]![0] > entry.buckets[i - 1]![0])) throw new Error(`${where}: bucket bounds not increasing`);
      if (entry.buckets[i]![1] < entry.buckets[i - 1]![1]) throw new Error(`${where}: bucket counts not cumulative`);
    }
  }
}

export function parseExposition(text: string): Map<string, Family> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const families = new Map<string, Family>();
  const types = new Map<string, MetricType>();
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: string | null = null;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: types.get(name) ?? "untyped", samples: [] }));
    return f;
  };
  const enter = (name: string, lineNo: number, line: string) => {
    if (current === name) return;
    if (closed.has(name)) fail(lineNo, line, `metric family ${name} is split`);
    if (current) closed.add(current);
    current = name;
  };
  text.split("\n").forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, keyword, name, rest = ""] = m as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) fail(lineNo, line, "invalid metric name");
      enter(name, lineNo, line);
      const f = family(name);
      if (keyword === "HELP") {
        if (f.help !== undefined) fail(lineNo, line, "a second HELP");
        f.help = unescapeHelp(rest, lineNo, line);
      } else {
        if (!TYPES.has(rest as MetricType)) fail(lineNo, line, `unknown type ${rest}`);
        if (types.has(name)) fail(lineNo, line, "a second TYPE");
        if (f.samples.length) fail(lineNo, line, "TYPE after the family's samples");
        types.set(name, rest as MetricType);
        f.type = rest as MetricType;
      }
      return;
    }
    const name = /^[^{\s]+/.exec(line)?.[0] ?? "";
    if (!METRIC_NAME.test(name)) fail(lineNo, line, "invalid metric name");
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i, lineNo));
    if (line[i] !== " ") fail(lineNo, line, "expected a space before the value");
    const parts = line.slice(i + 1).split(" ");
    if (parts.length < 1 || parts.length > 2 || parts[0] === "") fail(lineNo, line, "expected a value and an optional timestamp");
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(lineNo, line, "the timestamp is not an integer");
    const value = parseValue(parts[0]!, lineNo, line);
    const base = familyOf(name, types);
    enter(base, lineNo, line);
    const f = family(base);
    const identity = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(identity)) fail(lineNo, line, "a series twice");
    seen.add(identity);
    if (f.type === "counter" && !(value >= 0)) fail(lineNo, line, "a counter below zero (or NaN)");
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

/** The value of one series (`labels` must match exactly the given ones, others ignored), or undefined. */
export function sampleValue(families: Map<string, Family>, sample: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(familyOf(sample, new Map([...families].map(([n, f]) => [n, f.type]))));
  return family?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Every series of a counter or histogram whose value went down between two scrapes. */
export function decreasedCounters(before: Map<string, Family>, after: Map<string, Family>): string[] {
  const decreased: string[] = [];
  for (const [name, family] of before) {
    if (family.type !== "counter" && family.type !== "histogram") continue;
    for (const s of family.samples) {
      const later = after.get(name)?.samples.find((x) => x.name === s.name && JSON.stringify(x.labels) === JSON.stringify(s.labels));
      if (!later) decreased.push(`${s.name}${JSON.stringify(s.labels)} disappeared`);
      else if (later.value < s.value) decreased.push(`${s.name}${JSON.stringify(s.labels)}: ${s.value} → ${later.value}`);
    }
  }
  return decreased;
}
