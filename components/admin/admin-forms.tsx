"use client";

import { useActionState } from "react";
import {
  createEnvironmentAction,
  createTokenAction,
  createUserAction,
  demoSpikeAction,
  revokeTokenAction,
  updateUserAction,
  type AdminFormState,
} from "@/app/(dashboard)/admin/actions";
import { ROLES, ROLE_LABELS } from "@/lib/auth/roles";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FormError, FormSuccess } from "@/components/ui/form-message";

const idle: AdminFormState = { status: "idle" };

function RoleCheckboxes({ selected, error }: { selected: readonly string[]; error?: string }) {
  return (
    <fieldset>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {ROLES.map((role) => (
          <label key={role} className="flex items-center gap-1.5 text-sm">
            <input
              type="checkbox"
              name="roles"
              value={role}
              defaultChecked={selected.includes(role)}
              className="rounded border-slate-300"
            />
            {ROLE_LABELS[role]}
          </label>
        ))}
      </div>
      {error ? <FormError className="mt-1">{error}</FormError> : null}
    </fieldset>
  );
}

export function Status({ state }: { state: AdminFormState }) {
  if (state.status === "ok" && state.message) return <FormSuccess>{state.message}</FormSuccess>;
  if ((state.status === "error" || state.status === "invalid") && state.message) return <FormError>{state.message}</FormError>;
  return null;
}

export function CreateUserForm() {
  const [state, action, pending] = useActionState(createUserAction, idle);
  return (
    <ActionForm action={action} resetOn={state.status === "ok" ? state : null} className="grid gap-3 md:grid-cols-2" noValidate>
      <Field label="Email" error={state.fields?.email}>
        <TextInput name="email" type="email" invalid={!!state.fields?.email} autoComplete="off" />
      </Field>
      <Field label="Name" error={state.fields?.name}>
        <TextInput name="name" invalid={!!state.fields?.name} autoComplete="off" />
      </Field>
      <Field label="Initial password" error={state.fields?.password} hint="At least 8 characters; share it out of band.">
        <TextInput name="password" type="password" invalid={!!state.fields?.password} autoComplete="new-password" />
      </Field>
      <div className="text-sm">
        <span className="font-medium text-slate-700">Roles</span>
        <div className="mt-2">
          <RoleCheckboxes selected={["viewer"]} error={state.fields?.roles ?? state.fields?.["roles.0"]} />
        </div>
      </div>
      <div className="flex items-center gap-3 md:col-span-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create user"}
        </Button>
        <Status state={state} />
      </div>
    </ActionForm>
  );
}

export function EditUserRow({ user }: { user: { id: string; roles: string[]; disabled: boolean } }) {
  const [state, action, pending] = useActionState(updateUserAction, idle);
  return (
    <ActionForm action={action} className="flex flex-wrap items-center gap-3" data-testid={`edit-user-${user.id}`}>
      <input type="hidden" name="userId" value={user.id} />
      <RoleCheckboxes selected={user.roles} error={state.fields?.roles} />
      <label className="flex items-center gap-1.5 text-sm text-slate-600">
        <input type="checkbox" name="disabled" defaultChecked={user.disabled} className="rounded border-slate-300" /> Disabled
      </label>
      <Button type="submit" variant="secondary" disabled={pending}>
        Save
      </Button>
      <Status state={state} />
    </ActionForm>
  );
}

export function CreateTokenForm({ users, environments }: { users: { id: string; email: string }[]; environments: string[] }) {
  const [state, action, pending] = useActionState(createTokenAction, idle);
  return (
    <div className="space-y-3">
      <ActionForm
        action={action}
        resetOn={state.status === "ok" ? state : null}
        className="grid gap-3 md:grid-cols-[1fr_1fr_auto] md:items-start"
        noValidate
      >
        <Field label="Name" error={state.fields?.name} hint="What uses it, e.g. checkout-service or ci-pipeline">
          <TextInput name="name" invalid={!!state.fields?.name} autoComplete="off" />
        </Field>
        <Field label="Acts as" error={state.fields?.environment ?? state.fields?.userId ?? state.fields?.kind}>
          <Select name="target">
            <optgroup label="SDK token (evaluate, stream, send events)">
              {environments.map((env) => (
                <option key={env} value={`sdk:${env}`}>
                  SDK · {env}
                </option>
              ))}
            </optgroup>
            <optgroup label="User token (API with that user's roles)">
              {users.map((u) => (
                <option key={u.id} value={`user:${u.id}`}>
                  {u.email}
                </option>
              ))}
            </optgroup>
          </Select>
        </Field>
        <Button type="submit" disabled={pending} className="md:mt-6">
          {pending ? "Creating…" : "Create token"}
        </Button>
      </ActionForm>
      <Status state={state} />
      {state.token ? (
        <div className="rounded-lg bg-amber-50 p-3 text-sm ring-1 ring-amber-200" role="status">
          <p className="font-medium text-amber-900">Copy this token now: it will not be shown again.</p>
          <code className="mt-1 block break-all font-mono text-amber-900" data-testid="new-token">
            {state.token}
          </code>
        </div>
      ) : null}
    </div>
  );
}

export function CreateEnvironmentForm() {
  const [state, action, pending] = useActionState(createEnvironmentAction, idle);
  return (
    <ActionForm
      action={action}
      resetOn={state.status === "ok" ? state : null}
      className="grid gap-3 md:grid-cols-[14rem_1fr_auto] md:items-start"
      noValidate
    >
      <Field label="Key" error={state.fields?.key} hint="e.g. canary or eu-production">
        <TextInput name="key" invalid={!!state.fields?.key} autoComplete="off" />
      </Field>
      <Field label="Name" error={state.fields?.name}>
        <TextInput name="name" invalid={!!state.fields?.name} autoComplete="off" />
      </Field>
      <Button type="submit" disabled={pending} className="md:mt-6">
        {pending ? "Adding…" : "Add environment"}
      </Button>
      <div className="md:col-span-3">
        <Status state={state} />
      </div>
    </ActionForm>
  );
}

/** One row's "Revoke" button; a refusal (e.g. the role was taken away meanwhile) shows next to it. */
export function RevokeTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const [state, action, pending] = useActionState(revokeTokenAction, idle);
  return (
    <ActionForm action={action} className="flex items-center justify-end gap-2">
      <input type="hidden" name="tokenId" value={tokenId} />
      {state.status !== "ok" ? <Status state={state} /> : null}
      <button type="submit" disabled={pending} className="text-sm font-medium text-red-600 hover:underline" aria-label={`Revoke ${name}`}>
        {pending ? "Revoking…" : "Revoke"}
      </button>
    </ActionForm>
  );
}

/** The demo service's error spike: lets charts, gates and the kill switch be seen working. */
export function DemoSpikeControl() {
  const [state, action, pending] = useActionState(demoSpikeAction, idle);
  return (
    <ActionForm action={action} className="flex flex-wrap items-center gap-2">
      <Button type="submit" name="mode" value="on" variant="danger" disabled={pending}>
        Error spike on “on” only
      </Button>
      <Button type="submit" name="mode" value="both" variant="secondary" disabled={pending}>
        Error spike on both
      </Button>
      <Button type="submit" name="mode" value="stop" variant="secondary" disabled={pending}>
        Stop spike
      </Button>
      <Status state={state} />
    </ActionForm>
  );
}
