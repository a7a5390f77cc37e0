"use client";

import { Link } from "@/components/ui/link";
import { flagsHref } from "./flag-list-url";
import type { FlagRowView } from "./flag-row-view";

/**
 * One flag in the list. A client component for its props' sake (see FlagRowView): the page sends
 * each row as a few strings, not as its element tree. Lean on purpose (short classes from
 * globals.css, text built as one string): fifty of these are most of the page's bytes.
 */
export function FlagListRow({
  row,
  select,
}: {
  row: FlagRowView;
  /** The bulk-archive form's id, when the viewer may archive. */
  select?: string;
}) {
  return (
    <tr className="hover:bg-slate-50" data-testid={`flag-row-${row.key}`}>
      {select ? (
        <td className="fl-td max-md:float-right">
          <input type="checkbox" name="keys" value={row.key} form={select} aria-label={`Select ${row.key}`} className="h-4 w-4" />
        </td>
      ) : null}
      <td className="fl-td break-words">
        <Link href={`/flags/${row.key}`} className="fl-key">
          {row.key}
        </Link>
        <div className="text-slate-500">{row.description || "—"}</div>
        {row.owner || row.tags.length || row.stale ? (
          <div className="fl-meta">
            {row.owner ? <span data-testid="flag-owner">{`Owner: ${row.owner}`}</span> : null}
            {row.tags.map((tag) => (
              <Link key={tag} href={flagsHref({}, { tag })} className="fl-tag">
                {`#${tag}`}
              </Link>
            ))}
            {row.stale ? (
              <span className="fl-badge fl-amber" data-testid="stale-marker" title={row.stale}>
                {`Potentially stale: ${row.stale}`}
              </span>
            ) : null}
          </div>
        ) : null}
      </td>
      {row.cells.map(({ env, state: cell }) => (
        <td key={env} className="fl-td">
          <span className="fl-label">{env}</span>
          {cell ? (
            <>
              <span className={`fl-badge fl-${cell.tone}`}>{cell.badge}</span>
              <span className="fl-bar" aria-hidden>
                <i style={{ width: `${cell.width}%` }} />
              </span>
              {cell.rollout ? (
                <Link href={`/rollouts/${cell.rollout.id}`} className="fl-note hover:underline">
                  {cell.rollout.text}
                  <span className={cell.rollout.green ? "text-emerald-700" : "text-red-700"}>{cell.rollout.gates}</span>
                </Link>
              ) : null}
              {cell.at ? (
                <time dateTime={cell.at} className="fl-note">
                  {cell.evaluated}
                </time>
              ) : (
                <span className="fl-note">{cell.evaluated}</span>
              )}
            </>
          ) : null}
        </td>
      ))}
    </tr>
  );
}
