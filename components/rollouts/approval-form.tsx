"use client";

import { startTransition, useActionState, useState } from "react";
import { signApprovalAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import { Button } from "../ui/button";
import { TextArea, TextInput } from "../ui/field";

/**
 * Appendix C as a form: what was reviewed, the decision (conditions or a reason where the decision
 * needs them), the risk as the signer sees it, and the signer's typed name as signature.
 */
export function ApprovalForm({
  rolloutId,
  phaseIndex,
  reviewItems,
  signerName,
  supersedes,
}: {
  rolloutId: string;
  phaseIndex: number;
  reviewItems: readonly string[];
  signerName: string;
  supersedes?: string;
}) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(signApprovalAction, { status: "idle" });
  const [decision, setDecision] = useState("approved");
  const f = state.fields ?? {};
  return (
    <form
      onSubmit={(e) => {
        // Submitted by hand rather than as a form action, so a refused form keeps what was typed.
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
      className="space-y-5"
      noValidate
      aria-label="Approval form"
    >
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <input type="hidden" name="phaseIndex" value={phaseIndex} />
      {supersedes ? <input type="hidden" name="supersedes" value={supersedes} /> : null}
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">I, {signerName}, have reviewed:</legend>
        <div className="mt-2 grid gap-1 sm:grid-cols-2">
          {reviewItems.map((item) => (
            <label key={item} className="flex items-center gap-2 text-sm capitalize">
              <input type="checkbox" name="reviewed" value={item} className="h-4 w-4 rounded border-slate-300" />
              {item}
            </label>
          ))}
        </div>
        {f.reviewed ? (
          <p className="mt-1 text-sm text-red-600" role="alert">
            {f.reviewed}
          </p>
        ) : null}
      </fieldset>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Risk level as you judge it</legend>
        <div className="mt-2 flex gap-4 text-sm">
          {["low", "medium", "high"].map((r) => (
            <label key={r} className="flex items-center gap-1.5 capitalize">
              <input type="radio" name="riskLevel" value={r} defaultChecked={r === "medium"} /> {r}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Decision</legend>
        <div className="mt-2 space-y-1 text-sm">
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
      </fieldset>
      {decision === "conditional" ? (
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Conditions</span>
          <TextArea name="conditions" rows={2} invalid={!!f.conditions} className="mt-1" />
          {f.conditions ? (
            <span className="mt-1 block text-sm text-red-600" role="alert">
              {f.conditions}
            </span>
          ) : null}
        </label>
      ) : null}
      {decision === "rejected" ? (
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason</span>
          <TextArea name="reason" rows={2} invalid={!!f.reason} className="mt-1" />
          {f.reason ? (
            <span className="mt-1 block text-sm text-red-600" role="alert">
              {f.reason}
            </span>
          ) : null}
        </label>
      ) : null}
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Signature: type your name ({signerName})</span>
        <TextInput name="signature" autoComplete="off" invalid={!!f.signature} className="mt-1 font-serif italic" />
        {f.signature ? (
          <span className="mt-1 block text-sm text-red-600" role="alert">
            {f.signature}
          </span>
        ) : null}
      </label>
      {state.message && state.status !== "ok" ? (
        <p className="text-sm text-red-600" role="alert">
          {state.message}
        </p>
      ) : null}
      <Button type="submit" disabled={pending}>
        {pending ? "Signing…" : "Sign"}
      </Button>
    </form>
  );
}
