"use client";

import { useActionState } from "react";
import { createFlagAction, type FormState } from "@/app/(dashboard)/flags/actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FormError } from "@/components/ui/form-message";

export function CreateFlagForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(createFlagAction, { status: "idle" });
  return (
    <ActionForm action={action} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[14rem_1fr_10rem_12rem_auto] lg:items-start" noValidate>
      <Field label="Key" error={state.fields?.key} hint="e.g. messaging-v2">
        <TextInput name="key" placeholder="messaging-v2" invalid={!!state.fields?.key} autoComplete="off" />
      </Field>
      <Field label="Description" error={state.fields?.description}>
        <TextInput name="description" placeholder="What the flag guards" invalid={!!state.fields?.description} />
      </Field>
      <Field label="Owner" error={state.fields?.owner}>
        <TextInput name="owner" placeholder="team-checkout" invalid={!!state.fields?.owner} autoComplete="off" />
      </Field>
      <Field label="Tags" error={Object.entries(state.fields ?? {}).find(([k]) => k.startsWith("tags"))?.[1]}>
        <TextInput name="tags" placeholder="payments, q3" autoComplete="off" />
      </Field>
      <Button type="submit" disabled={pending} className="lg:mt-6">
        {pending ? "Creating…" : "Create flag"}
      </Button>
      {state.status === "error" ? <FormError className="sm:col-span-2 lg:col-span-5">{state.message}</FormError> : null}
    </ActionForm>
  );
}
