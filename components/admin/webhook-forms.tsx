"use client";

import { useActionState } from "react";
import {
  createWebhookAction,
  deleteWebhookAction,
  sendTestWebhookAction,
  setWebhookEnabledAction,
  type AdminFormState,
} from "@/app/(dashboard)/admin/actions";
import { Status } from "./admin-forms";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";

const idle: AdminFormState = { status: "idle" };

export function CreateWebhookForm({ environments, privateNetworks }: { environments: string[]; privateNetworks: "deny" | "allow" }) {
  const [state, action, pending] = useActionState(createWebhookAction, idle);
  return (
    <ActionForm
      action={action}
      resetOn={state.status === "ok" ? state : null}
      className="grid gap-3 md:grid-cols-[10rem_14rem_1fr_auto] md:items-start"
      noValidate
    >
      <Field label="Environment" error={state.fields?.environment}>
        <Select name="environment">
          {environments.map((env) => (
            <option key={env} value={env}>
              {env}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Name" error={state.fields?.name} hint="e.g. #releases channel">
        <TextInput name="name" defaultValue={state.values?.name} invalid={!!state.fields?.name} autoComplete="off" />
      </Field>
      <Field
        label="URL"
        error={state.fields?.url}
        hint={
          privateNetworks === "allow"
            ? "Slack-compatible incoming webhook (http or https); kept secret"
            : "Slack-compatible incoming webhook (http or https); kept secret. Addresses inside your network are refused unless the operator allows them (ROLLGATE_WEBHOOK_PRIVATE_NETWORKS)."
        }
      >
        <TextInput name="url" type="url" defaultValue={state.values?.url} invalid={!!state.fields?.url} autoComplete="off" />
      </Field>
      <Button type="submit" disabled={pending} className="md:mt-6">
        {pending ? "Adding…" : "Add webhook"}
      </Button>
      <div className="md:col-span-4">
        <Status state={state} />
      </div>
    </ActionForm>
  );
}

/** Send test, disable/enable and delete for one webhook; each refusal shows next to its button. */
export function WebhookActions({ webhook }: { webhook: { id: string; name: string; enabled: boolean } }) {
  const [testState, test, testing] = useActionState(sendTestWebhookAction, idle);
  const [toggleState, toggle, toggling] = useActionState(setWebhookEnabledAction, idle);
  const [deleteState, remove, deleting] = useActionState(deleteWebhookAction, idle);
  const link = "text-sm font-medium hover:underline disabled:opacity-50";
  return (
    <div className="flex flex-wrap items-center justify-end gap-3">
      <Status state={testState} />
      <Status state={toggleState.status === "ok" ? idle : toggleState} />
      <Status state={deleteState.status === "ok" ? idle : deleteState} />
      <ActionForm action={test}>
        <input type="hidden" name="webhookId" value={webhook.id} />
        <button
          type="submit"
          disabled={testing || !webhook.enabled}
          className={`${link} text-indigo-600`}
          aria-label={`Send a test to ${webhook.name}`}
        >
          {testing ? "Sending…" : "Send test"}
        </button>
      </ActionForm>
      <ActionForm action={toggle}>
        <input type="hidden" name="webhookId" value={webhook.id} />
        <input type="hidden" name="enabled" value={webhook.enabled ? "false" : "true"} />
        <button
          type="submit"
          disabled={toggling}
          className={`${link} text-slate-700`}
          aria-label={`${webhook.enabled ? "Disable" : "Enable"} ${webhook.name}`}
        >
          {webhook.enabled ? "Disable" : "Enable"}
        </button>
      </ActionForm>
      <ActionForm action={remove}>
        <input type="hidden" name="webhookId" value={webhook.id} />
        <button type="submit" disabled={deleting} className={`${link} text-red-600`} aria-label={`Delete ${webhook.name}`}>
          {deleting ? "Deleting…" : "Delete"}
        </button>
      </ActionForm>
    </div>
  );
}
