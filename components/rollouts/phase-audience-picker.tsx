"use client";

import { describeAudience } from "@/lib/domain/rollout-audience";
import type { Segment } from "@/lib/domain/targeting/model";
import { SegmentPicker } from "../targeting/segment-picker";

/** Segment ids as the picker's hidden input posts them: "3,7" (the server action splits them again). */
export const segmentIdsValue = (ids: readonly number[]) => ids.join(",");

/**
 * The segments one rollout phase serves, and who the phase then serves in words, as the plan will
 * state it to approvers. Posts the ticked ids as one `name` value, so phases zip by position.
 */
export function PhaseAudiencePicker({
  legend,
  name,
  segments,
  chosen,
  onChange,
  percent,
  allowlist,
  error,
}: {
  legend: string;
  name: string;
  segments: readonly Segment[];
  chosen: readonly number[];
  onChange: (ids: number[]) => void;
  /** The phase's percentage and listed keys, which the audience sentence adds to the segments. */
  percent: number;
  allowlist: readonly string[];
  error?: string;
}) {
  const byId = Object.fromEntries(segments.map((s) => [String(s.id), s]));
  const audience = describeAudience({ percent, allowlist, segments: chosen }, byId);
  return (
    <SegmentPicker
      segments={segments}
      chosen={chosen}
      onChange={onChange}
      error={error}
      legend={legend}
      missingMeans="the phase cannot start"
    >
      <input type="hidden" name={name} value={segmentIdsValue(chosen)} />
      <p className="mt-2 text-sm break-words text-slate-700" data-testid="phase-audience">
        Serves: {audience}
      </p>
      {chosen.length > 1 ? (
        // A strategy per segment (lib/domain/targeting/compile.ts): the segments add to each other.
        <p className="mt-1 text-xs text-slate-500">The phase serves everyone in any of the ticked segments.</p>
      ) : null}
    </SegmentPicker>
  );
}

/**
 * One audience picker per phase of the custom plan or the plan editor, under the phase table (a
 * list of rules in words does not fit a table cell, least of all on a phone).
 */
export function PhaseAudiences({
  phases,
  offset,
  segments,
  allowlistOf,
  onChange,
  fields,
}: {
  phases: readonly { name: string; percent: string; segments: number[] }[];
  /** Index of the first row's phase in the plan (field errors name absolute indexes). */
  offset: number;
  segments: readonly Segment[];
  allowlistOf: (row: number) => readonly string[];
  onChange: (row: number, ids: number[]) => void;
  fields: Record<string, string>;
}) {
  return (
    <div className="mt-3 grid gap-3 md:grid-cols-2 xl:grid-cols-3" data-testid="phase-audiences">
      {phases.map((p, i) => (
        <PhaseAudiencePicker
          key={i}
          legend={`Phase ${i + offset + 1}${p.name ? ` “${p.name}”` : ""}: segments it serves`}
          name="phaseSegments"
          segments={segments}
          chosen={p.segments}
          onChange={(ids) => onChange(i, ids)}
          // A percentage still being typed counts as 0 until it is a number.
          percent={Number(p.percent) || 0}
          allowlist={allowlistOf(i)}
          error={fields[`phases.${i + offset}.segments`] ?? segmentItemError(fields, i + offset)}
        />
      ))}
    </div>
  );
}

/** A refused id inside the list ("phases.1.segments.0: must be a segment id"). */
const segmentItemError = (fields: Record<string, string>, index: number) =>
  Object.entries(fields).find(([k]) => k.startsWith(`phases.${index}.segments.`))?.[1];
