"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import {
  acknowledgeIncidentAction,
  addIncidentNoteAction,
  resolveIncidentAction,
  triageIncidentAction,
  type IncidentFormState,
} from "@/app/(dashboard)/incidents/actions";
import { Button } from "../ui/button";
import { Select, TextArea } from "../ui/field";
import { FormError } from "@/components/ui/form-message";
import { ActionForm } from "../ui/action-form";

export function AcknowledgeButton({ incidentId, version }: { incidentId: string; version: number }) {
  const router = useRouter();
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(acknowledgeIncidentAction, { status: "idle" });
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  return (
    <form action={action} className="flex items-center gap-2">
      <input type="hidden" name="incidentId" value={incidentId} />
      <input type="hidden" name="version" value={version} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Acknowledge
      </Button>
      {state.message && state.status !== "ok" ? <FormError as="span">{state.message}</FormError> : null}
    </form>
  );
}

/** The report of the seeds; resolving keeps it with the incident and in the Markdown download. */
export function ResolveForm({ incidentId, version }: { incidentId: string; version: number }) {
  const router = useRouter();
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(resolveIncidentAction, { status: "idle" });
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  const f = state.fields ?? {};
  return (
    <ActionForm action={action} className="space-y-3" aria-label="Resolve incident" noValidate>
      <input type="hidden" name="incidentId" value={incidentId} />
      <input type="hidden" name="version" value={version} />
      {(
        [
          ["summary", "Summary"],
          ["impact", "Impact"],
          ["rootCause", "Root cause"],
          ["actionsTaken", "Actions taken"],
          ["followUps", "Follow-ups"],
        ] as const
      ).map(([name, label]) => (
        <label key={name} className="block text-sm">
          <span className="font-medium text-slate-700">{label}</span>
          <TextArea name={name} rows={2} invalid={!!f[name]} className="mt-1" />
          {f[name] ? (
            <FormError as="span" className="mt-1 block">
              {f[name]}
            </FormError>
          ) : null}
        </label>
      ))}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          Resolve
        </Button>
        {state.message && state.status !== "ok" ? <FormError as="span">{state.message}</FormError> : null}
      </div>
    </ActionForm>
  );
}

const SEVERITY_LABEL = { sev1: "sev1 — critical", sev2: "sev2 — major", sev3: "sev3 — minor" } as const;

/** Severity and assignee, saved together against the version the page was rendered with. */
export function TriageForm({
  incidentId,
  version,
  severity,
  assigneeId,
  people,
  me,
}: {
  incidentId: string;
  version: number;
  severity: keyof typeof SEVERITY_LABEL;
  assigneeId: string | null;
  people: { id: string; name: string }[];
  me: string;
}) {
  const router = useRouter();
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(triageIncidentAction, { status: "idle" });
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  const f = state.fields ?? {};
  return (
    <div className="space-y-2">
      {/* Keyed by version: after a save or someone else's change the controls show what is stored. */}
      <form action={action} key={version} className="flex flex-wrap items-end gap-3" aria-label="Triage">
        <input type="hidden" name="incidentId" value={incidentId} />
        <input type="hidden" name="version" value={version} />
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Severity</span>
          <Select name="severity" defaultValue={severity} invalid={!!f.severity} className="mt-1">
            {Object.entries(SEVERITY_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </label>
        <label className="block min-w-0 text-sm">
          <span className="font-medium text-slate-700">Assignee</span>
          <Select name="assigneeId" defaultValue={assigneeId ?? ""} invalid={!!f.assigneeId} className="mt-1">
            <option value="">Nobody</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </Select>
        </label>
        <Button type="submit" variant="secondary" disabled={pending}>
          Save
        </Button>
      </form>
      {assigneeId !== me ? (
        <form action={action}>
          <input type="hidden" name="incidentId" value={incidentId} />
          <input type="hidden" name="version" value={version} />
          <input type="hidden" name="assigneeId" value={me} />
          <Button type="submit" variant="secondary" disabled={pending}>
            Assign to me
          </Button>
        </form>
      ) : null}
      {state.message && state.status !== "ok" ? <FormError>{[state.message, ...Object.values(f)].join(": ")}</FormError> : null}
    </div>
  );
}

/** A note on the timeline; notes are never edited or deleted. */
export function NoteForm({ incidentId }: { incidentId: string }) {
  const router = useRouter();
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(addIncidentNoteAction, { status: "idle" });
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  return (
    <form action={action} className="mt-4 space-y-2" aria-label="Add a note">
      <input type="hidden" name="incidentId" value={incidentId} />
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Add a note</span>
        <TextArea name="body" rows={2} required invalid={!!state.fields?.body} className="mt-1" />
      </label>
      {state.fields?.body ? (
        <FormError>{state.fields.body}</FormError>
      ) : state.message && state.status !== "ok" ? (
        <FormError>{state.message}</FormError>
      ) : null}
      <Button type="submit" variant="secondary" disabled={pending}>
        Add note
      </Button>
    </form>
  );
}
