"use client";

import { startTransition, useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import { acknowledgeIncidentAction, resolveIncidentAction, type IncidentFormState } from "@/app/(dashboard)/incidents/actions";
import { Button } from "../ui/button";
import { TextArea } from "../ui/field";

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
      {state.message && state.status !== "ok" ? (
        <span className="text-sm text-red-600" role="alert">
          {state.message}
        </span>
      ) : null}
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
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
      className="space-y-3"
      aria-label="Resolve incident"
      noValidate
    >
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
            <span className="mt-1 block text-sm text-red-600" role="alert">
              {f[name]}
            </span>
          ) : null}
        </label>
      ))}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          Resolve
        </Button>
        {state.message && state.status !== "ok" ? (
          <span className="text-sm text-red-600" role="alert">
            {state.message}
          </span>
        ) : null}
      </div>
    </form>
  );
}
