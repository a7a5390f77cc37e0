"use client";

import { useActionState } from "react";
import { setGuardrailsAction, type IncidentFormState } from "@/app/(dashboard)/incidents/actions";
import type { ComparisonDto, GuardrailDto } from "@/lib/guardrails/guardrails";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { ActionForm } from "../ui/action-form";
import { utcMinute } from "@/lib/domain/utc-minute";

const METRIC: Record<GuardrailDto["metric"], (t: number) => string> = {
  error_rate: (t) => `error rate > ${t * 100} %`,
  success_rate: (t) => `success rate < ${t * 100} %`,
  p95_ms: (t) => `p95 > ${t} ms`,
};

/** One environment's guardrails with their latest verdict, and the switch to the seeds' thresholds. */
export function GuardrailsPanel({
  flagKey,
  environment,
  guardrails,
  comparison,
  canEdit,
}: {
  flagKey: string;
  environment: string;
  guardrails: GuardrailDto[];
  comparison: ComparisonDto | null;
  canEdit: boolean;
}) {
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(setGuardrailsAction, { status: "idle" });
  return (
    <div className="space-y-3" data-testid={`guardrails-${environment}`}>
      <h3 className="text-sm font-semibold capitalize">{environment}</h3>
      {guardrails.length === 0 ? (
        <p className="text-sm text-slate-500">No guardrails.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {guardrails.map((g) => (
            <li key={g.id}>
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{METRIC[g.metric](g.threshold)}</span>
                <span className="text-slate-500">
                  over {g.windowSeconds / 60} min, ≥ {g.minSamples} requests → {g.action}
                </span>
                {g.dryRun ? <Badge tone="gray">dry run</Badge> : null}
                {g.breachedSince ? <Badge tone="red">breached</Badge> : null}
              </div>
              <p className="text-xs text-slate-600" data-testid="verdict">
                {g.lastVerdict
                  ? `${g.lastVerdict.at.slice(11, 19)} UTC: ${g.lastVerdict.message}${g.lastVerdict.acted ? ` — ${g.lastVerdict.acted}` : ""}`
                  : "not evaluated yet"}
              </p>
            </li>
          ))}
        </ul>
      )}
      {comparison ? <ComparisonVerdicts comparison={comparison} /> : null}
      {canEdit ? (
        <ActionForm action={action} className="flex flex-wrap items-center gap-2">
          <input type="hidden" name="flagKey" value={flagKey} />
          <input type="hidden" name="environment" value={environment} />
          <label className="flex items-center gap-1.5 text-sm">
            <input type="checkbox" name="dryRun" className="h-4 w-4 rounded border-slate-300" /> dry run
          </label>
          <Button type="submit" name="preset" value="seeds" variant="secondary" disabled={pending}>
            Use the seeds&apos; alert thresholds
          </Button>
          {guardrails.length ? (
            <Button type="submit" name="preset" value="none" variant="secondary" disabled={pending}>
              Remove
            </Button>
          ) : null}
          {state.message ? (
            <span
              className={`text-sm ${state.status === "ok" ? "text-emerald-700" : "text-red-600"}`}
              role={state.status === "ok" ? "status" : "alert"}
            >
              {state.message}
            </span>
          ) : null}
        </ActionForm>
      ) : null}
    </div>
  );
}

const TEST_LABEL: Record<ComparisonDto["tests"][number]["test"], string> = {
  errors: "Errors",
  latency_relative: "Slower than control's p95",
  latency_absolute: "Slower than the p95 threshold",
  sample_ratio: "Sample ratio",
};

/** `on` against concurrent `off` (the comparative guardrails): each test's sentence and what it did. */
function ComparisonVerdicts({ comparison }: { comparison: ComparisonDto }) {
  return (
    <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" data-testid="comparison">
      <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">On vs off since {utcMinute(comparison.since)}</p>
      <ul className="mt-1 space-y-1 text-sm">
        {comparison.tests.map((t) => (
          <li key={t.test} className="flex flex-wrap items-baseline gap-x-2">
            <span className="font-medium">{TEST_LABEL[t.test]}</span>
            {t.verdict === "alarm" ? <Badge tone="red">alarm</Badge> : null}
            <span className="text-slate-700">{t.explanation}</span>
            {t.acted ? <span className="text-slate-600">— {t.acted}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
