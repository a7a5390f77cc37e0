"use client";

import { controlOutline } from "@/components/ui/field";
import { RANGES, type RangeName } from "./chart-data";

/** The charts' time ranges as a group of toggle buttons. */
export function RangeButtons({ range, onRange }: { range: RangeName; onRange: (range: RangeName) => void }) {
  return (
    <div role="group" aria-label="Time range" className={`inline-flex rounded-md ${controlOutline}`}>
      {(Object.keys(RANGES) as RangeName[]).map((r) => (
        <button
          key={r}
          type="button"
          aria-pressed={range === r}
          onClick={() => onRange(r)}
          className={`px-2.5 py-1 first:rounded-l-md last:rounded-r-md ${range === r ? "bg-indigo-600 text-white" : "text-slate-700 hover:bg-slate-50"}`}
        >
          {r}
        </button>
      ))}
    </div>
  );
}
