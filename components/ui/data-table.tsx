import type { ReactNode } from "react";

/**
 * The card-style table every list page uses: header row from `columns`, rows as children. With
 * `stack`, phones (below md) get one card per row instead of a table wider than the screen: the
 * header row is kept for screen readers only, and each cell should carry its own small label
 * (`<CellLabel>`), shown on phones only.
 */
export function DataTable({
  columns,
  children,
  scroll = false,
  stack = false,
  label,
  bodyClassName = "",
}: {
  columns: ReactNode[];
  children: ReactNode;
  scroll?: boolean;
  stack?: boolean;
  /** Names a scrolling table's region, which keyboard users can focus to scroll it. */
  label?: string;
  bodyClassName?: string;
}) {
  const stacked = stack
    ? "max-md:block max-md:[&_tbody]:block max-md:[&_thead]:sr-only max-md:[&_tr]:block max-md:[&_tr]:py-2 max-md:[&_td]:block max-md:[&_td]:py-1.5"
    : "";
  return (
    <div
      // relative: keeps sr-only header text (absolutely positioned) inside the card instead of widening the page.
      className={`relative ${scroll ? "overflow-x-auto" : "overflow-hidden"} rounded-xl bg-white shadow-sm ring-1 ring-slate-200`}
      {...(scroll ? { role: "region", "aria-label": label ?? "Table", tabIndex: 0 } : {})}
    >
      <table className={`min-w-full divide-y divide-slate-200 text-sm ${stacked}`}>
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            {columns.map((c, i) => (
              <th key={i} className="px-4 py-3">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className={`divide-y divide-slate-100 ${bodyClassName}`}>{children}</tbody>
      </table>
    </div>
  );
}

/** A cell's column name, shown on phones where a stacked table has no visible header row. */
export function CellLabel({ children }: { children: ReactNode }) {
  return <span className="mb-1 block text-xs font-semibold tracking-wide text-slate-500 uppercase md:hidden">{children}</span>;
}

export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="px-4 py-10 text-center text-slate-500">
        {children}
      </td>
    </tr>
  );
}
