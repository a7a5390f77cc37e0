"use client";

import { useActionState } from "react";
import { signInAction, type SignInState } from "@/app/sign-in/actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";

/** `next`: the page to go back to once signed in (lib/auth/return-to.ts checks it again on submit). */
export function SignInForm({ next }: { next?: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, {});
  return (
    <ActionForm action={action} className="space-y-4" noValidate>
      {state.error ? (
        <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">
          {state.error}
        </p>
      ) : null}
      {next ? <input type="hidden" name="next" value={next} /> : null}
      <Field label="Email" error={state.fields?.email}>
        <TextInput name="email" type="email" autoComplete="username" defaultValue={state.email} invalid={!!state.fields?.email} required />
      </Field>
      <Field label="Password" error={state.fields?.password}>
        <TextInput name="password" type="password" autoComplete="current-password" invalid={!!state.fields?.password} required />
      </Field>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </ActionForm>
  );
}
