import type { ReactNode } from "react";

/** The card-style table every list page uses: header row from `columns`, rows as children. */
export function DataTable({
  columns,
  children,
  scroll = false,
  bodyClassName = "",
}: {
  columns: ReactNode[];
  children: ReactNode;
  scroll?: boolean;
  bodyClassName?: string;
}) {
  return (
    <div className={`${scroll ? "overflow-x-auto" : "overflow-hidden"} rounded-xl bg-white shadow-sm ring-1 ring-slate-200`}>
      <table className="min-w-full divide-y divide-slate-200 text-sm">
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

export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="px-4 py-10 text-center text-slate-500">
        {children}
      </td>
    </tr>
  );
}
