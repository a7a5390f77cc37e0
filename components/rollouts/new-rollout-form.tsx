"use client";

import { startTransition, useActionState, useState } from "react";
import { createRolloutAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import { RequireEarlierField } from "./require-earlier-field";
import { Button } from "../ui/button";
import { Select, TextArea } from "../ui/field";
import { PhaseTable, type PhaseRow } from "./phase-table";
import { formatDuration, playbookSoaks } from "@/lib/domain/rollout";

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
  },
];

/** Starts a plan from the seeds' playbook, or from phases typed here, with the requester's impact assessment. */
export function NewRolloutForm({ flagKey, environments }: { flagKey: string; environments: string[] }) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(createRolloutAction, { status: "idle" });
  const [mode, setMode] = useState<"playbook" | "custom">("playbook");
  const [rows, setRows] = useState<PhaseRow[]>(DEFAULT_ROWS);
  const [environment, setEnvironment] = useState(environments.includes("production") ? "production" : (environments[0] ?? ""));
  const soak = playbookSoaks(environment).map(formatDuration);
  const f = state.fields ?? {};
  return (
    <form
      onSubmit={(e) => {
        // Submitted by hand rather than as a form action, so a refused form keeps what was typed.
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
      className="space-y-6"
      noValidate
      aria-label="New rollout"
    >
      <input type="hidden" name="flagKey" value={flagKey} />
      <div className="grid gap-4 sm:grid-cols-2">
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Environment</span>
          <Select compact name="environment" value={environment} onChange={(e) => setEnvironment(e.currentTarget.value)} className="mt-1">
            {environments.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </Select>
          {f.environment || f.flagKey ? (
            <span className="mt-1 block text-sm text-red-600" role="alert">
              {f.environment ?? f.flagKey}
            </span>
          ) : null}
        </label>
        <label className="flex items-center gap-2 self-end text-sm">
          <input type="checkbox" name="autoAdvance" className="h-4 w-4 rounded border-slate-300" /> Advance automatically when every gate is
          green
        </label>
      </div>

      <RequireEarlierField initial={null} error={f["requireEarlier.hoursAtFull"] ?? f.requireEarlier} />

      <fieldset className="space-y-3">
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
          <TextArea compact name="internalAllowlist" rows={2} className="mt-1 font-mono" placeholder="alice@example.com" />
          <span className="mt-1 block text-xs text-slate-500">
            {mode === "playbook"
              ? "The first phase serves only these; they stay on in later phases."
              : "They keep the flag in every phase; a first phase at 0 % serves only them."}
          </span>
        </label>
        {mode === "playbook" ? (
          <p className="rounded-md bg-slate-50 p-3 text-sm text-slate-600">
            Internal (allowlist, soak {soak[0]}, success ≥ 95 %, p95 ≤ 500 ms, checklist: backup verified, rollback tested, monitoring in
            place) → 10 % ({soak[1]}, success ≥ 95 %, errors ≤ 1 %) → 50 % ({soak[2]}, success ≥ 97 %) → 100 % ({soak[3]}, success ≥ 99 %).
            Each phase needs one product owner approval.{" "}
            {environment === "production" ? "Soaks are the seeds' days in production" : `Soaks are minutes in ${environment}`}; edit them in
            the plan at any time.
          </p>
        ) : (
          <PhaseTable rows={rows} setRows={setRows} fields={f} />
        )}
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-sm font-medium text-slate-700">Impact assessment (what the approver reviews)</legend>
        <div className="flex gap-4 text-sm">
          {["low", "medium", "high"].map((r) => (
            <label key={r} className="flex items-center gap-1.5 capitalize">
              <input type="radio" name="riskLevel" value={r} defaultChecked={r === "medium"} /> {r}
            </label>
          ))}
        </div>
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Benefits</span>
          <TextArea compact name="benefits" rows={2} className="mt-1" />
        </label>
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Risks and how they are mitigated</span>
          <TextArea compact name="risks" rows={2} className="mt-1" />
        </label>
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Links (design doc, PR, dashboards; one per line)</span>
          <TextArea compact name="links" rows={2} className="mt-1 font-mono" />
          {Object.entries(f).find(([k]) => k.startsWith("impact"))?.[1] ? (
            <span className="mt-1 block text-sm text-red-600" role="alert">
              {Object.entries(f).find(([k]) => k.startsWith("impact"))?.[1]}
            </span>
          ) : null}
        </label>
      </fieldset>
      {state.message ? (
        <p className="text-sm text-red-600" role="alert">
          {state.message}
        </p>
      ) : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create rollout plan"}
      </Button>
    </form>
  );
}
