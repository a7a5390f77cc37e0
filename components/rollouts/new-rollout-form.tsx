"use client";

import { useActionState, useState } from "react";
import { createRolloutAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { Segment } from "@/lib/domain/targeting/model";
import { RequireEarlierField } from "./require-earlier-field";
import { Button } from "../ui/button";
import { Select } from "../ui/field";
import { NewRolloutPlan } from "./new-rollout-plan";
import { ImpactFields } from "./impact-fields";
import { FormError } from "@/components/ui/form-message";
import { ActionForm } from "../ui/action-form";

/** Starts a plan from the seeds' playbook, or from phases typed here, with the requester's impact assessment. */
export function NewRolloutForm({
  flagKey,
  environments,
  segments,
}: {
  flagKey: string;
  environments: string[];
  /** Segments a phase may serve (GET /api/v1/segments). */
  segments: readonly Segment[];
}) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(createRolloutAction, { status: "idle" });
  const [environment, setEnvironment] = useState(environments.includes("production") ? "production" : (environments[0] ?? ""));
  const f = state.fields ?? {};
  return (
    <ActionForm action={action} className="space-y-6" noValidate aria-label="New rollout">
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
            <FormError as="span" className="mt-1 block">
              {f.environment ?? f.flagKey}
            </FormError>
          ) : null}
        </label>
        <label className="flex items-center gap-2 self-end text-sm">
          <input type="checkbox" name="autoAdvance" className="h-4 w-4 rounded border-slate-300" /> Advance automatically when every gate is
          green
        </label>
      </div>

      <RequireEarlierField initial={null} error={f["requireEarlier.hoursAtFull"] ?? f.requireEarlier} />

      <NewRolloutPlan environment={environment} segments={segments} fields={f} />

      <ImpactFields legend="Impact assessment (what the approver reviews)" fields={f} />
      {state.message ? <FormError>{state.message}</FormError> : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create rollout plan"}
      </Button>
    </ActionForm>
  );
}
