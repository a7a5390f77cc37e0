type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An audit entry's change in words a person can scan at 3 a.m.: for an edit, only the fields that
 * changed ("rolloutPercent 10 → 25"); for a creation or an event, its fields one per line; never a
 * raw JSON blob. Long values wrap instead of widening the page.
 */
export function AuditValue({ before, after }: { before: unknown; after: unknown }) {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (k) => k !== "updatedAt" && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    return (
      <ul className="space-y-0.5 font-mono text-xs break-all">
        {keys.map((k) => (
          <li key={k}>
            <span className="text-slate-500">{k}</span> {fmt(before[k])} <span className="text-slate-400">→</span>{" "}
            <span className="font-semibold">{fmt(after[k])}</span>
          </li>
        ))}
      </ul>
    );
  }
  if (isObj(after)) return <Fields value={after} />;
  if (after !== null && after !== undefined) return <code className="text-xs break-all text-slate-600">{fmt(after)}</code>;
  if (isObj(before)) return <Fields value={before} prefix="was " />;
  return <span className="text-slate-400">—</span>;
}

function Fields({ value, prefix = "" }: { value: Json; prefix?: string }) {
  const entries = Object.entries(value).filter(([k]) => k !== "updatedAt");
  if (entries.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">
            {prefix}
            {k}
          </dt>
          <dd className="font-mono break-all text-slate-800">{fmt(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Strings without quotes, lists comma-separated, objects as "key: value" pairs; long values cut. */
function fmt(v: unknown): string {
  if (v === undefined) return "∅";
  if (v === null) return "none";
  if (typeof v === "string") return truncate(v);
  if (Array.isArray(v)) return v.length === 0 ? "none" : truncate(v.map(item).join(", "));
  if (isObj(v)) return Object.keys(v).length === 0 ? "none" : truncate(pairs(v));
  return String(v);
}

/**
 * One list entry. Named things (gates, phases) read by name: a gate as "approvals ✓", a phase as
 * "10 % at 10 %"; anything else as its pairs.
 */
function item(x: unknown): string {
  if (typeof x === "string") return x;
  if (!isObj(x)) return JSON.stringify(x);
  if (typeof x.name === "string") {
    const ok = x.ok === true ? " ✓" : x.ok === false ? " ✗" : "";
    const percent = typeof x.percent === "number" ? ` at ${x.percent} %` : "";
    return `${x.name}${ok}${percent}`;
  }
  return `(${pairs(x)})`;
}

function pairs(v: Json): string {
  return Object.entries(v)
    .map(([k, x]) => `${k}: ${typeof x === "string" ? x : Array.isArray(x) ? `[${x.map(item).join(", ")}]` : JSON.stringify(x)}`)
    .join(", ");
}

function truncate(s: string): string {
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
