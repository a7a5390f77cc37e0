"use client";

import { useActionState, useRef } from "react";
import { flushSync } from "react-dom";
import { updateTargetingAction, type FormState } from "@/app/(dashboard)/flags/actions";
import type { Segment } from "@/lib/domain/targeting/model";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { ActionForm } from "../ui/action-form";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ClearTargetingDialog } from "./clear-targeting-dialog";
import { StrategyItem } from "./strategy-item";
import { toTargetingInput } from "./strategy-drafts";
import { TargetingConflict } from "./targeting-conflict";
import { RolloutNote } from "./targeting-summary";
import { FlagVariantsEditor } from "./flag-variants-editor";
import { DependenciesEditor } from "./dependencies-editor";
import { useTargetingForm } from "./use-targeting-form";
import { ListError } from "./list-controls";
import { FormError } from "@/components/ui/form-message";

const idle: FormState = { status: "idle" };

/**
 * Edits one environment's strategies: the list in order, each in words with move / edit / remove,
 * one form per open strategy, and a save that sends the whole list with the version it is based on.
 * The flag's variants and dependencies are kept as they are.
 */
export function TargetingEditor({
  flagKey,
  environment,
  state,
  guarded,
  segments,
  segmentsById,
  flagGroup,
}: {
  flagKey: string;
  environment: string;
  state: FlagStateDto;
  guarded: boolean;
  segments: readonly Segment[];
  segmentsById: Readonly<Record<string, Segment>>;
  flagGroup: string;
}) {
  const [result, action, pending] = useActionState<FormState, FormData>(updateTargetingAction, idle);
  const form = useTargetingForm({ state, result, flagGroup });
  const formRef = useRef<HTMLFormElement>(null);
  const fresh = result.status !== "idle" && !form.dirty;
  const reasonError = form.errors.reason;
  const failed = (result.status === "error" || result.status === "rollout" || result.status === "invalid") && result.message;
  const payload = form.clearing ? "null" : JSON.stringify(toTargetingInput(form.drafts, form.variants, form.dependencies));
  return (
    <ActionForm ref={formRef} action={action} className="space-y-3" noValidate aria-label={`Targeting of ${environment}`}>
      <input type="hidden" name="flagKey" value={flagKey} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="version" value={form.baseVersion} />
      <input type="hidden" name="targeting" value={payload} />
      {form.conflict ? (
        <TargetingConflict
          current={form.conflict}
          lastChange={result.lastChange}
          segmentsById={segmentsById}
          onKeepMine={() => form.overwrite(form.conflict!)}
          onLoadCurrent={() => form.loadCurrent(form.conflict!)}
        />
      ) : null}
      {form.drafts.length ? (
        <ol className="space-y-2">
          {form.drafts.map((d, i) => (
            <StrategyItem
              key={d.id}
              draft={d}
              index={i}
              count={form.drafts.length}
              form={form}
              segments={segments}
              segmentsById={segmentsById}
              flagGroup={flagGroup}
            />
          ))}
        </ol>
      ) : (
        <p className="text-sm text-slate-500">No strategies: the rollout (its percentage and any phase segments) alone decides.</p>
      )}
      <RolloutNote strategies={form.drafts.length} rolloutPercent={state.rolloutPercent} />
      <Button type="button" variant="secondary" onClick={form.add}>
        Add strategy
      </Button>
      <ListError message={form.errors["targeting.strategies"]} />
      <FlagVariantsEditor drafts={form.variants} onChange={form.setVariants} errors={form.errors} />
      <DependenciesEditor drafts={form.dependencies} onChange={form.setDependencies} errors={form.errors} />
      {guarded ? (
        <Field label="Reason (required in production, goes to the audit log)" error={reasonError}>
          <TextInput name="reason" autoComplete="off" invalid={!!reasonError} placeholder="ticket 4121: Staff first" />
        </Field>
      ) : null}
      <div className="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : `Save targeting of ${environment}`}
        </Button>
        {form.dirty ? (
          <Button type="button" variant="secondary" onClick={form.discard}>
            Discard changes
          </Button>
        ) : null}
        {state.targeting ? (
          <Button type="button" variant="secondary" className="text-red-700 sm:ml-auto" onClick={form.askClear}>
            Clear targeting…
          </Button>
        ) : null}
      </div>
      {result.status === "saved" && fresh ? (
        <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="targeting-saved">
          ✓ {result.message}
        </p>
      ) : null}
      {failed && !form.conflict ? <FormError data-testid="targeting-error">{result.message}</FormError> : null}
      {form.confirmingClear ? (
        <ClearTargetingDialog
          environment={environment}
          rolloutPercent={state.rolloutPercent}
          onCancel={form.cancelClear}
          onConfirm={() => {
            flushSync(form.confirmClear);
            formRef.current?.requestSubmit();
          }}
        />
      ) : null}
    </ActionForm>
  );
}
