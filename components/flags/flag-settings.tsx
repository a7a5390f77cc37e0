"use client";

import { Fragment, useActionState, useState } from "react";
import { archiveFlagAction, updateFlagSettingsAction, type FormState, type SettingsFormState } from "@/app/(dashboard)/flags/actions";
import type { FlagDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FormError, FormSuccess } from "@/components/ui/form-message";

const idle: FormState = { status: "idle" };
const settingsIdle: SettingsFormState = { status: "idle" };

/** "tags" or "tags.3": one message under the one field. */
const firstTagError = (fields: Record<string, string> | undefined) =>
  fields && Object.entries(fields).find(([k]) => k === "tags" || k.startsWith("tags."))?.[1];

type Settings = Pick<FlagDto, "description" | "owner" | "tags" | "rawEventSamplePercent" | "version">;

/** Description, owner, tags, raw-event sampling, and the archive "danger zone", for engineers. */
export function FlagSettings({ flagKey, ...settings }: { flagKey: string } & Settings) {
  return (
    <section className="grid gap-6 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200 lg:grid-cols-2">
      <SettingsForm flagKey={flagKey} opened={settings} />
      <ArchiveFlag flagKey={flagKey} />
    </section>
  );
}

/**
 * The settings as they were when the form was filled (`shown`): their version goes with the save, so a
 * save by someone else in between is refused and shown, not overwritten. The page refreshing with newer
 * values does not move it: the fields still hold what this person typed over the older ones.
 */
function SettingsForm({ flagKey, opened }: { flagKey: string; opened: Settings }) {
  const [shown, setShown] = useState<Settings>(opened);
  const [state, saveAction, saving] = useActionState(async (prev: SettingsFormState, form: FormData) => {
    const next = await updateFlagSettingsAction(prev, form);
    if (next.status === "saved" && next.flag) setShown(next.flag);
    return next;
  }, settingsIdle);
  const conflict = state.status === "conflict" && state.flag && state.flag.version !== shown.version ? state : null;
  return (
    <ActionForm key={shown.version} action={saveAction} className="space-y-3" noValidate>
      <input type="hidden" name="flagKey" value={flagKey} />
      <input type="hidden" name="version" value={shown.version} />
      <Field label="Description" error={state.fields?.description}>
        <TextInput name="description" defaultValue={shown.description} invalid={!!state.fields?.description} />
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Owner" hint="A team or person; empty for nobody" error={state.fields?.owner}>
          <TextInput name="owner" defaultValue={shown.owner ?? ""} invalid={!!state.fields?.owner} autoComplete="off" />
        </Field>
        <Field label="Tags" hint="Comma-separated, e.g. payments, q3-cleanup" error={firstTagError(state.fields)}>
          <TextInput name="tags" defaultValue={shown.tags.join(", ")} invalid={!!firstTagError(state.fields)} autoComplete="off" />
        </Field>
      </div>
      <Field
        label="Raw events kept (%)"
        hint="Charts, gates and guardrails count every event from the per-minute rollups. Raw rows are only a sample for debugging: 0 keeps none."
        error={state.fields?.rawEventSamplePercent}
      >
        <TextInput
          name="rawEventSamplePercent"
          inputMode="decimal"
          defaultValue={String(shown.rawEventSamplePercent)}
          invalid={!!state.fields?.rawEventSamplePercent}
          className="w-28"
        />
      </Field>
      {conflict ? <SettingsConflict state={conflict} onLoad={() => setShown(rebased(shown, conflict.flag!, conflict.submitted))} /> : null}
      {state.status === "error" || (state.status === "invalid" && state.message && !state.fields) ? (
        <FormError>{state.message}</FormError>
      ) : null}
      <div className="flex items-center gap-3">
        <Button type="submit" variant="secondary" disabled={saving}>
          Save settings
        </Button>
        {state.status === "saved" ? <FormSuccess>{state.message}</FormSuccess> : null}
      </div>
    </ActionForm>
  );
}

const SETTING_LABELS = { description: "Description", owner: "Owner", tags: "Tags", rawEventSamplePercent: "Raw events kept" } as const;

function settingInWords(name: keyof typeof SETTING_LABELS, value: string | string[] | number | null): string {
  if (name === "rawEventSamplePercent") return `${String(value)} %`;
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  return value ? String(value) : "(empty)";
}

/**
 * Their save as the new starting point, with this person's edits of the fields they left alone kept:
 * a field both changed takes theirs (the conflict listed it), the rest keeps what was typed.
 */
function rebased(base: Settings, theirs: FlagDto, mine: SettingsFormState["submitted"]): Settings {
  const next: Settings = { ...theirs };
  if (!mine) return next;
  for (const name of Object.keys(SETTING_LABELS) as (keyof typeof SETTING_LABELS)[]) {
    if (settingInWords(name, theirs[name]) === settingInWords(name, base[name])) Object.assign(next, { [name]: mine[name] });
  }
  return next;
}

/** Someone saved in between: what they saved against what this form sent, field by field, and a way to start from theirs. */
function SettingsConflict({ state, onLoad }: { state: SettingsFormState; onLoad: () => void }) {
  const now = state.flag!;
  const sent = state.submitted ?? now;
  const differing = (Object.keys(SETTING_LABELS) as (keyof typeof SETTING_LABELS)[]).filter(
    (name) => settingInWords(name, now[name]) !== settingInWords(name, sent[name]),
  );
  return (
    <div role="alert" className="space-y-2 rounded-lg bg-amber-50 p-3 text-sm text-amber-950 ring-1 ring-amber-200">
      <p className="font-medium">Not saved: someone else saved these settings after you opened them.</p>
      {differing.length ? (
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
          {differing.map((name) => (
            <Fragment key={name}>
              <dt className="text-amber-900">{SETTING_LABELS[name]}</dt>
              <dd className="break-words">
                now “{settingInWords(name, now[name])}”, yours “{settingInWords(name, sent[name])}”
              </dd>
            </Fragment>
          ))}
        </dl>
      ) : (
        <p>Their save has the same values as yours.</p>
      )}
      <Button type="button" variant="secondary" onClick={onLoad}>
        Load their settings
      </Button>
      <p className="text-xs text-amber-900">Loading keeps what you changed in the fields they left alone; save again to apply it.</p>
    </div>
  );
}

function ArchiveFlag({ flagKey }: { flagKey: string }) {
  const [archived, archiveAction, archiving] = useActionState(archiveFlagAction, idle);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="space-y-3">
      <h3 className="text-sm font-medium text-slate-700">Archive</h3>
      <p className="text-sm text-slate-500">
        Removes the flag from every environment: SDKs get <code>FLAG_NOT_FOUND</code> and use their default. History stays in the audit log;
        the key cannot be reused.
      </p>
      {confirming ? (
        <ActionForm action={archiveAction} className="space-y-3" noValidate>
          <input type="hidden" name="flagKey" value={flagKey} />
          <Field label="Reason" error={archived.fields?.reason}>
            <TextInput name="reason" placeholder="e.g. fully rolled out, code path removed" invalid={!!archived.fields?.reason} />
          </Field>
          {archived.status === "error" ? <FormError>{archived.message}</FormError> : null}
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
  );
}
