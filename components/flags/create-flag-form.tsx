"use client";

import { useActionState } from "react";
import { createFlagAction, type FormState } from "@/app/(dashboard)/flags/actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";

export function CreateFlagForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(createFlagAction, { status: "idle" });
  return (
    <ActionForm action={action} className="grid gap-3 sm:grid-cols-[16rem_1fr_auto] sm:items-start" noValidate>
      <Field label="Key" error={state.fields?.key} hint="e.g. messaging-v2">
        <TextInput name="key" placeholder="messaging-v2" invalid={!!state.fields?.key} autoComplete="off" />
      </Field>
      <Field label="Description" error={state.fields?.description}>
        <TextInput name="description" placeholder="What the flag guards" invalid={!!state.fields?.description} />
      </Field>
      <Button type="submit" disabled={pending} className="sm:mt-6">
        {pending ? "Creating…" : "Create flag"}
      </Button>
      {state.status === "error" ? (
        <p className="text-sm text-red-600 sm:col-span-3" role="alert">
          {state.message}
        </p>
      ) : null}
    </ActionForm>
  );
}
