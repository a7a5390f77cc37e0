import type { FlagStateDto } from "@/lib/flags/flag-dto";
import type { Draft } from "./use-flag-state-form";

export function listText(list: string[]): string {
  if (list.length === 0) return "empty";
  const shown = list.slice(0, 5).join(", ");
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

/** Before → after, one line per field that changes; "nothing changes" when none does. */
export function Changes({ before, after }: { before: FlagStateDto; after: Draft }) {
  const rows: [string, string, string][] = [];
  if (before.enabled !== after.enabled) rows.push(["Enabled", before.enabled ? "on" : "off", after.enabled ? "on" : "off"]);
  if (String(before.rolloutPercent) !== after.rolloutPercent.trim())
    rows.push(["Rollout percentage", `${before.rolloutPercent} %`, `${after.rolloutPercent.trim() || "(empty)"} %`]);
  const added = after.allowlist.filter((k) => !before.allowlist.includes(k));
  const removed = before.allowlist.filter((k) => !after.allowlist.includes(k));
  if (added.length || removed.length)
    rows.push([
      "Allowlist",
      `${before.allowlist.length} entries`,
      `${new Set(after.allowlist).size} entries${added.length ? `, + ${listText(added)}` : ""}${removed.length ? `, − ${listText(removed)}` : ""}`,
    ]);
  if (rows.length === 0) return <p className="text-sm text-slate-700">Nothing changes: the values are the ones already saved.</p>;
  return (
    <table className="w-full text-left text-sm" data-testid="changes">
      <caption className="sr-only">What will change</caption>
      <thead className="text-xs text-slate-500 uppercase">
        <tr>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Field
          </th>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Now
          </th>
          <th scope="col" className="py-1 font-semibold">
            After saving
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map(([field, from, to]) => (
          <tr key={field}>
            <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
              {field}
            </th>
            <td className="py-1 pr-2">{from}</td>
            <td className="py-1 font-semibold break-all">{to}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
