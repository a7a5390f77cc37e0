"use client";

import { useActionState, useState } from "react";
import { archiveFlagAction, updateFlagSettingsAction, type FormState } from "@/app/(dashboard)/flags/actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";

const idle: FormState = { status: "idle" };

/** "tags" or "tags.3": one message under the one field. */
const firstTagError = (fields: Record<string, string> | undefined) =>
  fields && Object.entries(fields).find(([k]) => k === "tags" || k.startsWith("tags."))?.[1];

/** Description, owner, tags, raw-event sampling, and the archive "danger zone", for engineers. */
export function FlagSettings({
  flagKey,
  description,
  owner,
  tags,
  rawEventSamplePercent,
}: {
  flagKey: string;
  description: string;
  owner: string | null;
  tags: string[];
  rawEventSamplePercent: number;
}) {
  const [saved, saveAction, saving] = useActionState(updateFlagSettingsAction, idle);
  const [archived, archiveAction, archiving] = useActionState(archiveFlagAction, idle);
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="grid gap-6 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200 lg:grid-cols-2">
      <ActionForm action={saveAction} className="space-y-3" noValidate>
        <input type="hidden" name="flagKey" value={flagKey} />
        <Field label="Description" error={saved.fields?.description}>
          <TextInput name="description" defaultValue={description} invalid={!!saved.fields?.description} />
        </Field>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Owner" hint="A team or person; empty for nobody" error={saved.fields?.owner}>
            <TextInput name="owner" defaultValue={owner ?? ""} invalid={!!saved.fields?.owner} autoComplete="off" />
          </Field>
          <Field label="Tags" hint="Comma-separated, e.g. payments, q3-cleanup" error={firstTagError(saved.fields)}>
            <TextInput name="tags" defaultValue={tags.join(", ")} invalid={!!firstTagError(saved.fields)} autoComplete="off" />
          </Field>
        </div>
        <Field
          label="Raw events kept (%)"
          hint="Charts, gates and guardrails count every event from the per-minute rollups. Raw rows are only a sample for debugging: 0 keeps none."
          error={saved.fields?.rawEventSamplePercent}
        >
          <TextInput
            name="rawEventSamplePercent"
            inputMode="decimal"
            defaultValue={String(rawEventSamplePercent)}
            invalid={!!saved.fields?.rawEventSamplePercent}
            className="w-28"
          />
        </Field>
        <div className="flex items-center gap-3">
          <Button type="submit" variant="secondary" disabled={saving}>
            Save settings
          </Button>
          {saved.status === "saved" ? (
            <p className="text-sm text-emerald-700" role="status">
              {saved.message}
            </p>
          ) : null}
        </div>
      </ActionForm>
      <div className="space-y-3">
        <h3 className="text-sm font-medium text-slate-700">Archive</h3>
        <p className="text-sm text-slate-500">
          Removes the flag from every environment: SDKs get <code>FLAG_NOT_FOUND</code> and use their default. History stays in the audit
          log; the key cannot be reused.
        </p>
        {confirming ? (
          <ActionForm action={archiveAction} className="space-y-3" noValidate>
            <input type="hidden" name="flagKey" value={flagKey} />
            <Field label="Reason" error={archived.fields?.reason}>
              <TextInput name="reason" placeholder="e.g. fully rolled out, code path removed" invalid={!!archived.fields?.reason} />
            </Field>
            {archived.status === "error" ? (
              <p className="text-sm text-red-600" role="alert">
                {archived.message}
              </p>
            ) : null}
            <div className="flex gap-2">
              <Button type="submit" variant="danger" disabled={archiving}>
                Archive {flagKey}
              </Button>
              <Button type="button" variant="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </div>
          </ActionForm>
        ) : (
          <Button type="button" variant="secondary" onClick={() => setConfirming(true)}>
            Archive flag…
          </Button>
        )}
      </div>
    </section>
  );
}
