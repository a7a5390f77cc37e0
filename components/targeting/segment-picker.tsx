"use client";

import type { ReactNode } from "react";
import { Link } from "@/components/ui/link";
import { describeConstraints } from "@/lib/domain/targeting/describe";
import type { Segment } from "@/lib/domain/targeting/model";
import { Checkbox } from "../ui/field";
import { FormError } from "@/components/ui/form-message";

/**
 * The existing segments, each with its audience in words; the ticked ones must all match too. Used by
 * a targeting strategy and by a rollout phase, which differ only in what a deleted segment costs.
 */
export function SegmentPicker({
  segments,
  chosen,
  onChange,
  error,
  legend = "Segments (every ticked segment must match)",
  missingMeans = "this strategy matches no one",
  children,
}: {
  segments: readonly Segment[];
  chosen: readonly number[];
  onChange: (ids: number[]) => void;
  error?: string;
  legend?: string;
  /** What a ticked segment that no longer exists does to the thing being edited. */
  missingMeans?: string;
  /** Shown under the list (a phase's audience in words). */
  children?: ReactNode;
}) {
  const known = new Set(segments.map((s) => s.id));
  const missing = chosen.filter((id) => !known.has(id));
  return (
    <fieldset className="min-w-0 rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-xs font-medium text-slate-500">{legend}</legend>
      {segments.length ? (
        <ul className="space-y-2">
          {segments.map((s) => (
            <li key={s.id} className="min-w-0">
              <Checkbox
                label={<span className="font-medium">{s.name}</span>}
                checked={chosen.includes(s.id)}
                onChange={(e) => onChange(e.target.checked ? [...chosen, s.id] : chosen.filter((id) => id !== s.id))}
              />
              <p className="ml-6 text-xs break-words text-slate-500">{describeConstraints(s.constraints)}</p>
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-500">
          No segments yet.{" "}
          <Link href="/segments" className="text-indigo-700 underline">
            Create one
          </Link>{" "}
          to reuse an audience (“Staff”) across flags.
        </p>
      )}
      {missing.length ? (
        <p className="mt-2 text-sm text-amber-800">
          {missing.map((id) => `Segment ${id}`).join(", ")} no longer {missing.length === 1 ? "exists" : "exist"}: {missingMeans} until{" "}
          {missing.length === 1 ? "it is" : "they are"} removed.{" "}
          <button type="button" className="underline" onClick={() => onChange(chosen.filter((id) => known.has(id)))}>
            Remove
          </button>
        </p>
      ) : null}
      {children}
      {error ? <FormError className="mt-2">{error}</FormError> : null}
    </fieldset>
  );
}
