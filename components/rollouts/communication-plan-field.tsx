"use client";

import { useState } from "react";
import { kindsInWords, ROLLOUT_STEP_KINDS, SAFETY_KINDS } from "@/lib/notifications/kinds";
import type { WebhookChoice } from "@/lib/rollouts/communication-plan";

const STEPS = kindsInWords(ROLLOUT_STEP_KINDS);
const SAFETY = kindsInWords(SAFETY_KINDS);

/**
 * The plan's communication plan: every enabled webhook of the environment (the default), or only the
 * ticked ones (none ticked: nobody). Posts `notifyMode` and the ticked `notifyWebhookIds`.
 */
export function CommunicationPlanField({
  environment,
  webhooks,
  initial,
  error,
}: {
  environment: string;
  webhooks: WebhookChoice[];
  initial: string[] | null;
  error?: string;
}) {
  const [mode, setMode] = useState<"all" | "chosen">(initial === null ? "all" : "chosen");
  const [ticked, setTicked] = useState<Set<string>>(() => new Set(initial ?? webhooks.filter((w) => w.enabled).map((w) => w.id)));
  if (webhooks.length === 0) {
    // Nothing to choose from: keep the plan as it is.
    return (
      <div className="text-sm">
        <p className="font-medium text-slate-700">Communication plan</p>
        <p className="mt-1 text-slate-600">No webhooks in {environment} yet: nobody is notified. An admin adds them under Webhooks.</p>
        <input type="hidden" name="notifyMode" value={initial === null ? "all" : "chosen"} />
        {initial?.map((id) => (
          <input key={id} type="hidden" name="notifyWebhookIds" value={id} />
        ))}
      </div>
    );
  }
  return (
    <fieldset className="space-y-2 text-sm" aria-describedby="communication-plan-hint">
      <legend className="font-medium text-slate-700">Communication plan</legend>
      <p id="communication-plan-hint" className="text-slate-600">
        Who is told of each step of this rollout ({STEPS}).
      </p>
      <label className="flex items-start gap-2">
        <input type="radio" name="notifyMode" value="all" checked={mode === "all"} onChange={() => setMode("all")} className="mt-0.5" />
        <span>Every enabled webhook of {environment} (default)</span>
      </label>
      <label className="flex items-start gap-2">
        <input
          type="radio"
          name="notifyMode"
          value="chosen"
          checked={mode === "chosen"}
          onChange={() => setMode("chosen")}
          className="mt-0.5"
        />
        <span>Only the webhooks ticked below</span>
      </label>
      <ul className="space-y-1 pl-6" data-testid="communication-webhooks">
        {webhooks.map((w) => (
          <li key={w.id}>
            <label className="flex items-start gap-2">
              <input
                type="checkbox"
                name="notifyWebhookIds"
                value={w.id}
                disabled={mode === "all"}
                checked={mode === "all" ? w.enabled : ticked.has(w.id)}
                onChange={(e) => {
                  const next = new Set(ticked);
                  if (e.currentTarget.checked) next.add(w.id);
                  else next.delete(w.id);
                  setTicked(next);
                }}
                className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300"
              />
              <span className="min-w-0 break-words">
                {w.name} <span className="text-slate-500">({w.host})</span>
                {w.enabled ? "" : <span className="text-amber-800"> — disabled, receives nothing until enabled</span>}
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className="text-slate-600">
        Safety first: {SAFETY} notices always go to every enabled webhook of {environment}.
      </p>
      {error ? (
        <p className="text-red-600" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
