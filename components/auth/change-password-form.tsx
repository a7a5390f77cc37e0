"use client";

import { useActionState } from "react";
import { changePasswordAction, type PasswordFormState } from "@/app/(dashboard)/account/actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FormError, FormSuccess } from "@/components/ui/form-message";

export function ChangePasswordForm() {
  const [state, action, pending] = useActionState<PasswordFormState, FormData>(changePasswordAction, { status: "idle" });
  return (
    <ActionForm action={action} resetOn={state.status === "ok" ? state : null} className="max-w-sm space-y-4" noValidate>
      <Field label="Current password" error={state.fields?.currentPassword}>
        <TextInput name="currentPassword" type="password" autoComplete="current-password" invalid={!!state.fields?.currentPassword} />
      </Field>
      <Field label="New password" error={state.fields?.newPassword} hint="At least 8 characters.">
        <TextInput name="newPassword" type="password" autoComplete="new-password" invalid={!!state.fields?.newPassword} />
      </Field>
      <Field label="Repeat the new password" error={state.fields?.confirmPassword}>
        <TextInput name="confirmPassword" type="password" autoComplete="new-password" invalid={!!state.fields?.confirmPassword} />
      </Field>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Change password"}
        </Button>
        {state.status === "ok" ? <FormSuccess>Password changed; your other sessions were signed out.</FormSuccess> : null}
        {state.status === "invalid" && state.message ? <FormError>{state.message}</FormError> : null}
      </div>
    </ActionForm>
  );
}
