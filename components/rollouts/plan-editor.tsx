"use client";

import { useActionState, useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { editRolloutAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import type { WebhookChoice } from "@/lib/rollouts/communication-plan";
import type { Segment } from "@/lib/domain/targeting/model";
import { RequireEarlierField } from "./require-earlier-field";
import { CommunicationPlanField } from "./communication-plan-field";
import { ImpactFields, type ImpactValues } from "./impact-fields";
import { Button } from "../ui/button";
import { PhaseTable, rowFromPhase, type PhaseRow } from "./phase-table";
import { FormError, FormSuccess } from "@/components/ui/form-message";
import { ActionForm } from "../ui/action-form";

/**
 * Edits what is still to come. Saving raises the plan version: forms signed for the changed plan
 * become void (the approvers reviewed something else), which the editor is told before saving.
 */
export function PlanEditor({
  rollout,
  webhooks,
  segments,
}: {
  rollout: RolloutDto;
  webhooks: WebhookChoice[];
  /** Segments a phase still to come may serve. */
  segments: readonly Segment[];
}) {
  const router = useRouter();
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(editRolloutAction, { status: "idle" });
  const started = rollout.currentPhase + 1;
  const [rows, setRows] = useState<PhaseRow[]>(() => rollout.phases.slice(started).map(rowFromPhase));
  const impact = rollout.impact as ImpactValues;
  const liveForms = rollout.approvals.filter((a) => a.state === "live" && a.phaseIndex >= started).length;
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  return (
    // Open once anything was sent: a refused save keeps it open, and so must the save that follows it
    // (`open` going from true to undefined made React close it, hiding "Saved as plan v2").
    <details className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" open={state.status !== "idle" || undefined}>
      <summary className="cursor-pointer font-semibold">Edit plan</summary>
      <ActionForm action={action} className="mt-4 space-y-5" noValidate aria-label="Edit plan">
        <input type="hidden" name="rolloutId" value={rollout.id} />
        <input type="hidden" name="version" value={rollout.version} />
        <p className="text-sm text-slate-600">
          {started > 0 ? `Phases 1–${started} have started and stay as they are. ` : ""}
          {liveForms > 0
            ? `Saving a change voids the ${liveForms} signed form${liveForms > 1 ? "s" : ""} for phases still to come; product owners must sign again.`
            : "No signed form would be voided."}
        </p>
        <PhaseTable
          rows={rows}
          setRows={setRows}
          fields={state.fields ?? {}}
          offset={started}
          segments={segments}
          // The editor has no allowlist column: a row keeps the listed keys of the phase it edits.
          allowlistOf={(row) => rollout.phases[started + row]?.allowlist ?? []}
        />
        <ImpactFields legend="Impact assessment" initial={impact} fields={state.fields ?? {}} />
        <RequireEarlierField
          initial={rollout.requireEarlier}
          error={state.fields?.["requireEarlier.hoursAtFull"] ?? state.fields?.requireEarlier}
        />
        <CommunicationPlanField
          environment={rollout.environment}
          webhooks={webhooks}
          initial={rollout.notifyWebhookIds}
          error={state.fields?.notifyWebhookIds ?? Object.entries(state.fields ?? {}).find(([k]) => k.startsWith("notifyWebhookIds."))?.[1]}
        />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="autoAdvance" defaultChecked={rollout.autoAdvance} className="h-4 w-4 rounded border-slate-300" />{" "}
          Advance automatically when every gate is green
        </label>
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : "Save plan"}
          </Button>
          {state.status === "ok" ? (
            <FormSuccess>{state.message}</FormSuccess>
          ) : state.message ? (
            <FormError>{state.message}</FormError>
          ) : null}
        </div>
      </ActionForm>
    </details>
  );
}
