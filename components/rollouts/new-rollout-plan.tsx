"use client";

import { keysOf } from "@/lib/domain/text-lists";
import { useState } from "react";
import { describeAudience } from "@/lib/domain/rollout-audience";
import { criteriaInWords, formatDuration, templatePlan } from "@/lib/domain/rollout";
import type { Segment } from "@/lib/domain/targeting/model";
import { TextArea } from "../ui/field";
import { PhaseTable, type PhaseRow } from "./phase-table";
import { PhaseAudiencePicker } from "./phase-audience-picker";
import { FormError } from "@/components/ui/form-message";

const DEFAULT_ROWS: PhaseRow[] = [
  {
    name: "10 %",
    percent: "10",
    soakHours: "24",
    approvals: "1",
    minSuccess: "95",
    maxError: "1",
    maxP95: "500",
    minSamples: "1000",
    checklist: "backup verified\nrollback tested\nmonitoring in place",
    segments: [],
  },
  {
    name: "50 %",
    percent: "50",
    soakHours: "72",
    approvals: "1",
    minSuccess: "97",
    maxError: "1",
    maxP95: "500",
    minSamples: "5000",
    checklist: "",
    segments: [],
  },
  {
    name: "100 %",
    percent: "100",
    soakHours: "168",
    approvals: "1",
    minSuccess: "99",
    maxError: "1",
    maxP95: "500",
    minSamples: "10000",
    checklist: "",
    segments: [],
  },
];

/** The first refused field whose name starts with `prefix`. */
const firstError = (fields: Record<string, string>, prefix: string) => Object.entries(fields).find(([k]) => k.startsWith(prefix))?.[1];

/**
 * The new rollout's phases: the seeds' playbook, whose internal phase serves the internal users'
 * keys and the ticked segments ("Rollgate staff"), or phases typed here, each with its own segments.
 */
export function NewRolloutPlan({
  environment,
  segments,
  fields,
}: {
  environment: string;
  segments: readonly Segment[];
  fields: Record<string, string>;
}) {
  const [mode, setMode] = useState<"playbook" | "custom">("playbook");
  const [rows, setRows] = useState<PhaseRow[]>(DEFAULT_ROWS);
  const [internalKeys, setInternalKeys] = useState("");
  const [internalSegments, setInternalSegments] = useState<number[]>([]);
  const keys = keysOf(internalKeys);
  const keysError = firstError(fields, "internalAllowlist") ?? (mode === "playbook" ? firstError(fields, "phases.0.allowlist") : undefined);
  return (
    <fieldset className="min-w-0 space-y-3">
      <legend className="text-sm font-medium text-slate-700">Plan</legend>
      <div className="flex flex-wrap gap-4 text-sm">
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="playbook" checked={mode === "playbook"} onChange={() => setMode("playbook")} /> Playbook:
          internal → 10 % → 50 % → 100 %
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="custom" checked={mode === "custom"} onChange={() => setMode("custom")} /> My own phases
        </label>
      </div>
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Internal users (targeting keys, one per line)</span>
        <TextArea
          compact
          name="internalAllowlist"
          rows={2}
          className="mt-1 font-mono"
          placeholder="alice@example.com"
          value={internalKeys}
          invalid={!!keysError}
          onChange={(e) => setInternalKeys(e.target.value)}
        />
        {keysError ? (
          <FormError as="span" className="mt-1 block">
            {keysError}
          </FormError>
        ) : (
          <span className="mt-1 block text-xs text-slate-500">
            {mode === "playbook"
              ? "The first phase serves only these and the segments below; they stay on in later phases."
              : "They keep the flag in every phase; a first phase at 0 % serves only them and its segments."}
          </span>
        )}
      </label>
      {mode === "playbook" ? (
        <>
          <PhaseAudiencePicker
            legend="Internal phase: segments it serves (kept until 100 %)"
            name="internalSegments"
            segments={segments}
            chosen={internalSegments}
            onChange={setInternalSegments}
            percent={0}
            allowlist={keys}
            error={fields["phases.0.segments"] ?? firstError(fields, "internalSegments")}
          />
          <PlaybookPreview environment={environment} keys={keys} chosen={internalSegments} segments={segments} />
        </>
      ) : (
        <PhaseTable rows={rows} setRows={setRows} fields={fields} segments={segments} allowlistOf={() => keys} />
      )}
    </fieldset>
  );
}

/** The playbook's phases as they will be created, each with whom it serves in words. */
function PlaybookPreview({
  environment,
  keys,
  chosen,
  segments,
}: {
  environment: string;
  keys: readonly string[];
  chosen: readonly number[];
  segments: readonly Segment[];
}) {
  const byId = Object.fromEntries(segments.map((s) => [String(s.id), s]));
  const serves = (percent: number) => describeAudience({ percent, allowlist: keys, segments: chosen }, byId);
  // From the plan that will be created, so the preview cannot leave out a gate the plan has.
  const phases = templatePlan([...keys], environment, [...chosen]).map((p) => ({
    name: p.name,
    percent: p.percent,
    gates: [
      `soak ${formatDuration(p.minSoakSeconds)}`,
      criteriaInWords(p.criteria, { samples: true }),
      p.checklist.length ? `checklist: ${p.checklist.join(", ")}` : null,
    ]
      .filter(Boolean)
      .join(", "),
  }));
  return (
    <div className="rounded-md bg-slate-50 p-3 text-sm text-slate-600">
      <ol className="space-y-1.5" data-testid="plan-preview">
        {phases.map((p, i) => (
          <li key={p.name} className="break-words">
            <span className="font-medium text-slate-800">
              {i + 1}. {p.name}
            </span>{" "}
            serves <span className="text-slate-800">{serves(p.percent)}</span> · {p.gates}
          </li>
        ))}
      </ol>
      <p className="mt-2">
        Each phase needs one product owner approval.{" "}
        {environment === "production" ? "Soaks are the seeds' days in production" : `Soaks are minutes in ${environment}`}; edit them in the
        plan at any time.
      </p>
    </div>
  );
}
