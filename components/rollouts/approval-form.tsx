"use client";

import { useActionState, useEffect, useState, type ReactNode } from "react";
import { useRouter } from "next/navigation";
import { signApprovalAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import { Button } from "../ui/button";
import { TextArea, TextInput } from "../ui/field";
import type { ReviewSection } from "./review-sections";
import { FormError } from "@/components/ui/form-message";
import { ActionForm } from "../ui/action-form";

/**
 * Appendix C as a form: each "I have reviewed" item opens what it names (review-sections.tsx), and
 * its tick sits under what it attests to; then the decision (none preselected; conditions or a
 * reason where the decision needs them), the risk as the signer sees it, and the typed signature.
 * A refused submit marks every field it refuses.
 */
export function ApprovalForm({
  rolloutId,
  phaseIndex,
  sections,
  signerName,
  supersedes,
  planVersion,
  passingGates,
}: {
  rolloutId: string;
  phaseIndex: number;
  sections: readonly ReviewSection[];
  signerName: string;
  supersedes?: string;
  /** The plan version the sections show; sent with the form, which is refused (409) if the plan has moved on. */
  planVersion: number;
  /** The gates the page shows passing; sent with the form, which is refused (409) if one has failed since. */
  passingGates: readonly string[];
}) {
  const router = useRouter();
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(signApprovalAction, { status: "idle" });
  const [decision, setDecision] = useState<string | null>(null);
  // The version the signer started reviewing; the page refreshes live, so the props can move past it.
  const [openedAt] = useState(planVersion);
  const f = state.fields ?? {};
  useEffect(() => {
    // Refused because the plan was edited: show the version that is there now.
    if (state.status === "conflict") router.refresh();
  }, [state, router]);
  return (
    <ActionForm action={action} className="space-y-5" noValidate aria-label="Approval form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <input type="hidden" name="phaseIndex" value={phaseIndex} />
      {supersedes ? <input type="hidden" name="supersedes" value={supersedes} /> : null}
      <input type="hidden" name="planVersion" value={planVersion} />
      {passingGates.map((name) => (
        <input key={name} type="hidden" name="passingGates" value={name} />
      ))}
      {planVersion !== openedAt ? (
        <p
          role="status"
          data-testid="plan-changed"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200"
        >
          The plan was edited while this form was open (version {openedAt} → {planVersion}). Each item below shows the plan as it is now:
          review it again and tick it.
        </p>
      ) : null}
      {/* Keyed by the plan version: ticks given to an earlier version do not carry over to this one. */}
      <ReviewedItems key={planVersion} sections={sections} signerName={signerName} error={f.reviewed} />
      <Group legend="Risk level as you judge it" error={f.riskLevel} id="riskLevel">
        <div className="flex gap-4 text-sm">
          {["low", "medium", "high"].map((r) => (
            <label key={r} className="flex items-center gap-1.5 capitalize">
              <input type="radio" name="riskLevel" value={r} /> {r}
            </label>
          ))}
        </div>
      </Group>
      <Group legend="Decision" error={f.decision} id="decision">
        <div className="space-y-1 text-sm">
          {[
            ["approved", "Approved — proceed"],
            ["conditional", "Conditional — approved with conditions"],
            ["rejected", "Rejected — do not proceed"],
          ].map(([value, label]) => (
            <label key={value} className="flex items-center gap-2">
              <input type="radio" name="decision" value={value} checked={decision === value} onChange={() => setDecision(value!)} /> {label}
            </label>
          ))}
        </div>
      </Group>
      {decision === "conditional" ? (
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Conditions</span>
          <span className="block text-xs text-slate-600">
            Shown to whoever advances, who must acknowledge them. A time belongs in the time conditions below: the gate holds those, not a
            time written here.
          </span>
          <TextArea name="conditions" rows={2} invalid={!!f.conditions} className="mt-1" aria-describedby="conditions-error" />
          <FieldError id="conditions-error" message={f.conditions} />
        </label>
      ) : null}
      {decision === "conditional" ? <TimeConditions notBeforeError={f.notBefore} timeZoneError={f.officeHoursTimeZone} /> : null}
      {decision === "rejected" ? (
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason</span>
          <TextArea name="reason" rows={2} invalid={!!f.reason} className="mt-1" aria-describedby="reason-error" />
          <FieldError id="reason-error" message={f.reason} />
        </label>
      ) : null}
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Signature: type your name ({signerName})</span>
        <TextInput
          name="signature"
          autoComplete="off"
          invalid={!!f.signature}
          className="mt-1 font-serif italic"
          aria-describedby="signature-error"
        />
        <FieldError id="signature-error" message={f.signature} />
      </label>
      {state.message && state.status !== "ok" ? <FormError>{state.message}</FormError> : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Signing…" : "Sign"}
      </Button>
    </ActionForm>
  );
}

/** "I have reviewed": each item opens what it names, and its tick sits under it. */
function ReviewedItems({ sections, signerName, error }: { sections: readonly ReviewSection[]; signerName: string; error?: string }) {
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const tick = (item: string, on: boolean) =>
    setTicked((prev) => {
      const next = new Set(prev);
      if (on) next.add(item);
      else next.delete(item);
      return next;
    });
  return (
    <Group legend={`I, ${signerName}, have reviewed:`} error={error} id="reviewed">
      <p className="text-xs text-slate-600">Open each item to see what it names; tick it under what you reviewed.</p>
      <div className="mt-2 divide-y divide-slate-200 rounded-lg ring-1 ring-slate-200">
        {sections.map((s) => (
          <details key={s.item} className="group" data-review-item={s.item}>
            <summary className="flex cursor-pointer items-start gap-2 px-3 py-2.5 text-sm hover:bg-slate-50">
              <span aria-hidden className="mt-0.5 text-slate-500 transition-transform group-open:rotate-90">
                ▸
              </span>
              <span className="min-w-0 flex-1">
                <span className="font-medium">{s.title}</span>
                <span className="block break-words text-slate-600 sm:ml-2 sm:inline">{s.summary}</span>
              </span>
              {ticked.has(s.item) ? (
                <span className="shrink-0 text-xs font-medium text-emerald-700" aria-hidden>
                  ✓ reviewed
                </span>
              ) : null}
            </summary>
            <div className="space-y-3 border-t border-slate-100 px-3 py-3 text-sm break-words text-slate-800 sm:pl-8">
              {s.content}
              <label className="flex items-center gap-2 font-medium">
                <input
                  type="checkbox"
                  name="reviewed"
                  value={s.item}
                  className="h-4 w-4 rounded border-slate-300"
                  onChange={(e) => tick(s.item, e.currentTarget.checked)}
                />
                I have reviewed the {s.item}
              </label>
            </div>
          </details>
        ))}
      </div>
    </Group>
  );
}

/**
 * Conditions that are a time, which the gate holds: "not before" (typed in the signer's own time,
 * sent as an instant) and "office hours only" in a time zone (the browser's by default).
 */
function TimeConditions({ notBeforeError, timeZoneError }: { notBeforeError?: string; timeZoneError?: string }) {
  const [notBefore, setNotBefore] = useState("");
  const [officeHours, setOfficeHours] = useState(false);
  const [timeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  return (
    <fieldset className="space-y-3 text-sm">
      <legend className="font-medium text-slate-700">Time conditions (held by the gate)</legend>
      <label className="block">
        <span className="text-slate-700">Not before (your time)</span>
        <TextInput
          type="datetime-local"
          invalid={!!notBeforeError}
          className="mt-1 w-60"
          aria-describedby="notBefore-error"
          onChange={(e) => {
            const value = e.currentTarget.value;
            setNotBefore(value ? new Date(value).toISOString() : "");
          }}
        />
        <input type="hidden" name="notBefore" value={notBefore} />
        <FieldError id="notBefore-error" message={notBeforeError} />
      </label>
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={officeHours} onChange={(e) => setOfficeHours(e.currentTarget.checked)} className="h-4 w-4" />
        Only during office hours (Mon–Fri 09:00–17:00)
      </label>
      {officeHours ? (
        <label className="block">
          <span className="text-slate-700">Time zone</span>
          <TextInput
            name="officeHoursTimeZone"
            defaultValue={timeZone}
            invalid={!!timeZoneError}
            className="mt-1 w-60"
            aria-describedby="officeHoursTimeZone-error"
          />
          <FieldError id="officeHoursTimeZone-error" message={timeZoneError} />
        </label>
      ) : null}
    </fieldset>
  );
}

/** A fieldset that is outlined in red, and names its error, when the server refused it. */
function Group({ legend, error, id, children }: { legend: string; error?: string; id: string; children: ReactNode }) {
  return (
    <fieldset
      aria-describedby={error ? `${id}-error` : undefined}
      data-invalid={error ? true : undefined}
      className={error ? "rounded-lg p-3 ring-2 ring-red-400" : ""}
    >
      <legend className={`text-sm font-medium ${error ? "px-1 text-red-700" : "text-slate-700"}`}>{legend}</legend>
      <div className="mt-2">{children}</div>
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}

function FieldError({ id, message }: { id: string; message?: string }) {
  return message ? (
    <FormError as="span" id={id} className="mt-1 block">
      {message}
    </FormError>
  ) : null;
}
