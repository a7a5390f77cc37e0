"use client";

import type { PhaseDto } from "@/lib/rollouts/rollout-view";
import type { Segment } from "@/lib/domain/targeting/model";
import { TextArea, TextInput } from "../ui/field";
import { PhaseAudiences } from "./phase-audience-picker";
import { FormError } from "@/components/ui/form-message";

/** One phase as the editor holds it: text fields, converted and validated on the server. */
export interface PhaseRow {
  name: string;
  percent: string;
  soakHours: string;
  approvals: string;
  minSuccess: string;
  maxError: string;
  maxP95: string;
  minSamples: string;
  checklist: string;
  /** Segment ids the phase serves besides its percentage and listed keys. */
  segments: number[];
}

const text = (n: number | undefined, scale = 1) => (n === undefined ? "" : String(Math.round(n * scale * 1000) / 1000));

export function rowFromPhase(p: PhaseDto): PhaseRow {
  return {
    name: p.name,
    percent: String(p.percent),
    soakHours: text(p.minSoakSeconds, 1 / 3600),
    approvals: String(p.requiredApprovals),
    minSuccess: text(p.criteria.minSuccessRate, 100),
    maxError: text(p.criteria.maxErrorRate, 100),
    maxP95: text(p.criteria.maxP95Ms),
    minSamples: text(p.criteria.minSamples),
    checklist: p.checklist.join("\n"),
    segments: p.segments,
  };
}

/** The column a refused field of a phase is in, by the field's name in the API. */
const COLUMN_OF: Record<string, string> = {
  name: "Name",
  percent: "Percent",
  minSoakSeconds: "Soak",
  requiredApprovals: "Approvals",
  "criteria.minSuccessRate": "Min success %",
  "criteria.maxErrorRate": "Max errors %",
  "criteria.maxP95Ms": "Max p95 ms",
  "criteria.minSamples": "Min samples",
  checklist: "Checklist",
};

/**
 * A phase's first refused field, except its segments (those are said under its audience picker), with
 * its column named. Rates are typed here as percentages and checked as the API's fractions, so their
 * range is said in the form's unit: "Min success %: must be a number from 0 to 100", not "0 to 1".
 */
function phaseError(fields: Record<string, string>, i: number): string | undefined {
  const found = Object.entries(fields).find(
    ([k]) => (k.startsWith(`phases.${i}.`) && !k.startsWith(`phases.${i}.segments`)) || k === `phases.${i}`,
  );
  if (!found) return undefined;
  const field = found[0].slice(`phases.${i}.`.length);
  const column = COLUMN_OF[field];
  const message = field.startsWith("criteria.") && field.endsWith("Rate") ? "must be a number from 0 to 100" : found[1];
  return column ? `${column}: ${message}` : message;
}

/** The fields in column order (the checklist, a text area, comes after them). */
const INPUT_FIELDS = ["name", "percent", "soakHours", "approvals", "minSuccess", "maxError", "maxP95", "minSamples"] as const;

/** Each field's column header, and its name on a phone's card (where the header row is hidden) when that differs. */
const LABELS: Record<Exclude<keyof PhaseRow, "segments">, { head: string; card?: string }> = {
  name: { head: "Name" },
  percent: { head: "%", card: "Percent" },
  soakHours: { head: "Soak (h)" },
  approvals: { head: "Approvals" },
  minSuccess: { head: "Min success %" },
  maxError: { head: "Max errors %" },
  maxP95: { head: "Max p95 ms" },
  minSamples: { head: "Min samples" },
  checklist: { head: "Checklist" },
};
const cardLabel = (field: keyof typeof LABELS) => LABELS[field].card ?? LABELS[field].head;

/** A card field's visible name; the input keeps its own accessible name ("Phase 2 percent"). */
function CardLabel({ children }: { children: string }) {
  return (
    <span aria-hidden className="mb-0.5 block text-xs text-slate-500 md:hidden">
      {children}
    </span>
  );
}

/**
 * Phases as an editable table; each cell posts as `phase<Field>` once per row, in order. `offset`
 * numbers the rows after phases that can no longer change (field errors name absolute indexes).
 */
export function PhaseTable({
  rows,
  setRows,
  fields,
  offset = 0,
  segments,
  allowlistOf,
}: {
  rows: PhaseRow[];
  setRows: (rows: PhaseRow[]) => void;
  fields: Record<string, string>;
  offset?: number;
  /** Every segment a phase may serve. */
  segments: readonly Segment[];
  /** The listed keys each row's phase serves (the audience sentence names them). */
  allowlistOf: (row: number) => readonly string[];
}) {
  // A table from md up; below that each phase is a card of labelled fields (a row of ten inputs
  // squeezed into a phone's width left each a few characters wide). One set of inputs either way:
  // the form posts each field once per phase, in order.
  return (
    <div className="relative overflow-x-auto">
      <table className="min-w-full text-sm max-md:block">
        <thead className="max-md:hidden">
          <tr className="text-left text-xs text-slate-500">
            {[...INPUT_FIELDS, "checklist" as const].map((k) => (
              <th key={k} className="px-1 font-medium">
                {LABELS[k].head}
              </th>
            ))}
            <th className="px-1 font-medium">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody className="max-md:block max-md:space-y-3">
          {rows.map((row, i) => (
            <tr
              key={i}
              className="align-top max-md:grid max-md:grid-cols-2 max-md:gap-x-3 max-md:gap-y-2 max-md:rounded-md max-md:border max-md:border-slate-200 max-md:p-3"
            >
              {INPUT_FIELDS.map((k) => (
                <td key={k} className={`px-1 py-1 max-md:block max-md:p-0 ${k === "name" ? "max-md:col-span-2" : ""}`}>
                  <CardLabel>{cardLabel(k)}</CardLabel>
                  <TextInput
                    compact
                    aria-label={`Phase ${i + offset + 1} ${LABELS[k].card ?? LABELS[k].head}`}
                    name={`phase${k[0]!.toUpperCase()}${k.slice(1)}`}
                    value={row[k]}
                    onChange={(e) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: e.target.value } : r)))}
                  />
                </td>
              ))}
              <td className="px-1 py-1 max-md:col-span-2 max-md:block max-md:p-0">
                <CardLabel>{cardLabel("checklist")}</CardLabel>
                <TextArea
                  compact
                  aria-label={`Phase ${i + offset + 1} checklist`}
                  name="phaseChecklist"
                  rows={1}
                  value={row.checklist}
                  onChange={(e) => setRows(rows.map((r, j) => (j === i ? { ...r, checklist: e.target.value } : r)))}
                />
              </td>
              <td className="px-1 py-1 max-md:col-span-2 max-md:block max-md:p-0 max-md:text-right">
                <button
                  type="button"
                  className="text-xs text-red-600 hover:underline"
                  onClick={() => setRows(rows.filter((_, j) => j !== i))}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
          {rows.map((_, i) =>
            phaseError(fields, i + offset) ? (
              <tr key={`e${i}`} className="max-md:block">
                <td colSpan={10} className="px-1 text-sm text-red-600 max-md:block" role="alert">
                  Phase {i + offset + 1}: {phaseError(fields, i + offset)}
                </td>
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
      <button
        type="button"
        className="mt-2 text-sm font-medium text-indigo-700 hover:underline"
        onClick={() =>
          setRows([
            ...rows,
            {
              name: "",
              percent: "",
              soakHours: "24",
              approvals: "1",
              minSuccess: "",
              maxError: "",
              maxP95: "",
              minSamples: "",
              checklist: "",
              segments: [],
            },
          ])
        }
      >
        + Add phase
      </button>
      <PhaseAudiences
        phases={rows}
        offset={offset}
        segments={segments}
        allowlistOf={allowlistOf}
        onChange={(row, ids) => setRows(rows.map((r, j) => (j === row ? { ...r, segments: ids } : r)))}
        fields={fields}
      />
      {fields.phases ? <FormError>{fields.phases}</FormError> : null}
    </div>
  );
}
