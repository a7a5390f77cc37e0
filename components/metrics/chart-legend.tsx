import { Children, isValidElement, type ReactNode } from "react";

export interface LegendEntry {
  name: string;
  color: string;
  /** The series' `strokeDasharray`, drawn as a dashed or dotted swatch. */
  dash?: string;
  /** A filled square (areas) instead of a line. */
  square: boolean;
}

interface SeriesProps {
  dataKey?: unknown;
  name?: unknown;
  stroke?: unknown;
  strokeDasharray?: unknown;
  legendType?: unknown;
}

/**
 * The legend entries of a chart's series elements (recharts `Line`s and `Area`s, in order): those
 * with a data key and a name. Threshold and marker lines have neither, so they are not listed.
 */
export function legendEntries(children: ReactNode): LegendEntry[] {
  return Children.toArray(children).flatMap((child) => {
    if (!isValidElement<SeriesProps>(child)) return [];
    const { dataKey, name, stroke, strokeDasharray, legendType } = child.props;
    if (dataKey === undefined || typeof name !== "string" || typeof stroke !== "string") return [];
    return [
      { name, color: stroke, dash: typeof strokeDasharray === "string" ? strokeDasharray : undefined, square: legendType === "square" },
    ];
  });
}

/** A short dash ("2 3") reads as dots, a longer one as dashes. */
function borderStyle(dash: string | undefined): "solid" | "dashed" | "dotted" {
  if (!dash) return "solid";
  return Number(dash.split(/[ ,]+/)[0]) <= 2 ? "dotted" : "dashed";
}

/**
 * A chart's legend as plain HTML under the plot: what recharts' `<Legend>` showed (a swatch in the
 * series' colour and style, and its name), without the measuring it does. recharts lays its legend
 * out inside the chart, measures it after the first draw and draws the chart again around it: about a
 * fifth of a flag page's five charts' rendering in Chromium. Names are in the page's text colour, so
 * their contrast does not depend on the series colour; the swatch carries the colour.
 */
export function ChartLegend({ entries }: { entries: LegendEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <ul className="mt-1 flex flex-wrap justify-center gap-x-4 gap-y-1 text-xs text-slate-700">
      {entries.map((entry) => (
        <li key={entry.name} className="flex items-center gap-1.5">
          {entry.square ? (
            <span aria-hidden className="inline-block size-2.5" style={{ backgroundColor: entry.color }} />
          ) : (
            <span
              aria-hidden
              className="inline-block w-4 border-t-2"
              style={{ borderColor: entry.color, borderTopStyle: borderStyle(entry.dash) }}
            />
          )}
          {entry.name}
        </li>
      ))}
    </ul>
  );
}
