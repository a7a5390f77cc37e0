/** Shows only the fields that changed, so a percentage edit reads as "rolloutPercent 10 → 25". */
export function AuditValue({ before, after }: { before: unknown; after: unknown }) {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (k) => k !== "updatedAt" && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    return (
      <ul className="space-y-0.5 font-mono text-xs">
        {keys.map((k) => (
          <li key={k}>
            <span className="text-slate-500">{k}</span> {fmt(before[k])} <span className="text-slate-400">→</span>{" "}
            <span className="font-semibold">{fmt(after[k])}</span>
          </li>
        ))}
      </ul>
    );
  }
  if (after !== null && after !== undefined)
    return <code className="break-all text-xs text-slate-600">{truncate(JSON.stringify(after))}</code>;
  return <span className="text-slate-400">—</span>;
}

function fmt(v: unknown): string {
  return v === undefined ? "∅" : truncate(JSON.stringify(v));
}

function truncate(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}
