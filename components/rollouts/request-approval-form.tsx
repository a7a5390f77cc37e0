"use client";

import { useActionState } from "react";
import { requestApprovalAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import { ActionForm } from "../ui/action-form";
import { Button } from "../ui/button";
import { Field, TextArea } from "../ui/field";
import { FormError, FormSuccess } from "@/components/ui/form-message";

/** An engineer asks for a phase's approval: some product owners ticked (or none: anyone), an optional note. */
export function RequestApprovalForm({
  rolloutId,
  phaseIndex,
  phaseName,
  productOwners,
}: {
  rolloutId: string;
  phaseIndex: number;
  phaseName: string;
  productOwners: { id: string; name: string; email: string }[];
}) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(requestApprovalAction, { status: "idle" });
  return (
    <ActionForm
      action={action}
      resetOn={state.status === "ok" ? state : null}
      className="space-y-3"
      data-testid="request-approval"
      noValidate
    >
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <input type="hidden" name="phaseIndex" value={phaseIndex} />
      <fieldset className="min-w-0">
        <legend className="text-sm font-medium text-slate-700">Ask product owners (none ticked: any product owner)</legend>
        {productOwners.length === 0 ? (
          <p className="mt-1 text-sm text-slate-500">Nobody holds the product owner role yet.</p>
        ) : (
          <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1">
            {productOwners.map((po) => (
              <li key={po.id} className="min-w-0">
                <label className="flex items-center gap-1.5 text-sm break-all text-slate-700">
                  <input type="checkbox" name="productOwners" value={po.id} className="rounded border-slate-300" />
                  {po.name} <span className="text-slate-500">({po.email})</span>
                </label>
              </li>
            ))}
          </ul>
        )}
        {state.fields?.productOwners ? <FormError className="mt-1">{state.fields.productOwners}</FormError> : null}
      </fieldset>
      <Field
        label="Note (optional)"
        error={state.fields?.note}
        hint="What the product owner should look at; it opens the phase's discussion."
      >
        <TextArea name="note" rows={2} maxLength={2000} invalid={!!state.fields?.note} />
      </Field>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Requesting…" : `Request approval for ${phaseName}`}
        </Button>
        {state.status === "ok" ? <FormSuccess>{state.message}</FormSuccess> : state.message ? <FormError>{state.message}</FormError> : null}
      </div>
    </ActionForm>
  );
}
