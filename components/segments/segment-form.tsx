"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { saveSegmentAction, type SegmentFormState } from "@/app/(dashboard)/segments/actions";
import type { SegmentDto } from "@/lib/segments/segment-dto";
import { ActionForm } from "../ui/action-form";
import { Button } from "../ui/button";
import { Checkbox, Field, TextInput } from "../ui/field";
import { ConstraintEditor } from "./constraint-editor";
import { emptyDraft, toConstraintInput, toDraft, type ConstraintDraft } from "./constraint-drafts";
import { FormError } from "@/components/ui/form-message";

/**
 * Creates a segment, or edits `segment`. The constraints are edited in the client and sent as JSON in
 * one hidden field; the server answers with messages keyed by the API's paths (`constraints.0.value`),
 * shown on the field they concern. Editing a segment that a live rollout uses asks for confirmation
 * naming the rollouts, then sends `confirm`.
 */
export function SegmentForm({ segment, onSaved, onCancel }: { segment?: SegmentDto; onSaved?: () => void; onCancel?: () => void }) {
  const [state, action, pending] = useActionState<SegmentFormState, FormData>(saveSegmentAction, { status: "idle" });
  const [drafts, setDrafts] = useState<ConstraintDraft[]>(() => (segment ? segment.constraints.map(toDraft) : [emptyDraft()]));
  const prefix = segment ? `segment-${segment.id}` : "new-segment";
  // A new save clears the create form's constraints: adjusted while rendering, as React recommends
  // for state that follows a value, rather than in an effect.
  const [seenSave, setSeenSave] = useState(state.savedAt);
  if (state.savedAt !== seenSave) {
    setSeenSave(state.savedAt);
    if (!segment) setDrafts([emptyDraft()]);
  }
  useEffect(() => {
    if (state.status === "saved") onSaved?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per save
  }, [state.savedAt]);
  const confirming = state.status === "confirm";
  // The answer names the live rollouts using the segment now; the page's badges ("1 live rollout")
  // were counted when it loaded, so they are read again to say the same.
  const router = useRouter();
  useEffect(() => {
    if (confirming) router.refresh();
  }, [state, confirming, router]);
  return (
    <ActionForm action={action} resetOn={!segment && state.status === "saved" ? state.savedAt : undefined} className="space-y-4" noValidate>
      {segment ? (
        <>
          <input type="hidden" name="id" value={segment.id} />
          <input type="hidden" name="version" value={segment.version} />
        </>
      ) : null}
      <input type="hidden" name="constraints" value={JSON.stringify(drafts.map(toConstraintInput))} />
      <div className="grid gap-3 md:grid-cols-[16rem_minmax(0,1fr)]">
        <Field label="Name" error={state.fields?.name}>
          <TextInput name="name" defaultValue={segment?.name} placeholder="Staff" autoComplete="off" invalid={!!state.fields?.name} />
        </Field>
        <Field label="Description" error={state.fields?.description}>
          <TextInput
            name="description"
            defaultValue={segment?.description}
            placeholder="Who this is"
            invalid={!!state.fields?.description}
          />
        </Field>
      </div>
      <div>
        <h3 className="mb-2 text-sm font-medium text-slate-700">Who matches: every constraint must hold</h3>
        <ConstraintEditor drafts={drafts} onChange={setDrafts} errors={state.fields} idPrefix={prefix} />
      </div>
      {confirming ? (
        <div
          className="space-y-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200"
          role="alert"
          data-testid="segment-confirm"
        >
          <p className="font-medium">This segment is used by a live rollout; the change reaches its audience at once.</p>
          <p>A plan whose phases still to come serve it gets a new version: forms signed for those phases become void.</p>
          {state.unconfirmed?.length ? (
            <p data-testid="segment-confirm-more">
              Not saved: {state.unconfirmed.length === 1 ? "a live rollout" : `${state.unconfirmed.length} live rollouts`} started using it
              since you confirmed (
              {state.rollouts
                ?.filter((r) => state.unconfirmed!.includes(r.id))
                .map((r) => `${r.flagKey} in ${r.environment}`)
                .join(", ")}
              ). Confirm again for all of them.
            </p>
          ) : null}
          <ul className="list-disc pl-5">
            {state.rollouts?.map((r) => (
              <li key={r.id}>
                <a className="underline" href={`/rollouts/${r.id}`}>
                  {r.flagKey} in {r.environment}
                </a>{" "}
                ({r.status})
              </li>
            ))}
          </ul>
          <Field label="Reason (recorded in the audit log)">
            <TextInput name="reason" placeholder="Why the audience changes" autoComplete="off" />
          </Field>
          {state.rollouts?.map((r) => (
            <input key={r.id} type="hidden" name="confirmRollouts" value={r.id} />
          ))}
          {/* Keyed by the rollouts named: a longer list after a refused save must be confirmed anew. */}
          <Checkbox
            key={state.rollouts?.map((r) => r.id).join()}
            name="confirm"
            label="I understand: change the audience of these rollouts"
          />
        </div>
      ) : null}
      {state.status === "conflict" ? <FormError>{state.message} Reload the page to see the current segment.</FormError> : null}
      {(state.status === "error" || state.status === "invalid") && state.message ? <FormError>{state.message}</FormError> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : segment ? "Save segment" : "Create segment"}
        </Button>
        {onCancel ? (
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </ActionForm>
  );
}
