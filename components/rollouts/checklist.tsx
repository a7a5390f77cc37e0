"use client";

import { useActionState } from "react";
import { tickChecklistAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { PhaseDto } from "@/lib/rollouts/rollout-view";
import { ActionForm } from "../ui/action-form";

function Item({ rolloutId, phase, item, canTick }: { rolloutId: string; phase: PhaseDto; item: string; canTick: boolean }) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(tickChecklistAction, { status: "idle" });
  const tick = phase.ticked.find((t) => t.item === item);
  return (
    <li className="text-sm">
      <ActionForm action={action} className="flex items-center gap-2">
        <input type="hidden" name="rolloutId" value={rolloutId} />
        <input type="hidden" name="phaseIndex" value={phase.index} />
        <input type="hidden" name="item" value={item} />
        <input type="hidden" name="done" value={tick ? "" : "on"} />
        <button
          type="submit"
          disabled={!canTick || pending}
          role="checkbox"
          aria-checked={!!tick}
          aria-label={item}
          className={`flex h-4 w-4 items-center justify-center rounded border text-[10px] ${tick ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-400 bg-white"} disabled:opacity-60`}
        >
          {tick ? "✓" : ""}
        </button>
        <span>{item}</span>
        {tick ? <span className="text-xs text-slate-500">— {tick.by}</span> : null}
        {state.status === "error" || state.status === "invalid" ? (
          <span className="text-xs text-red-600" role="alert">
            {state.message}
          </span>
        ) : null}
      </ActionForm>
    </li>
  );
}

/** The next phase's checklist; engineers tick items, everyone sees who did. */
export function Checklist({ rolloutId, phase, canTick }: { rolloutId: string; phase: PhaseDto; canTick: boolean }) {
  if (phase.checklist.length === 0) return <p className="text-sm text-slate-500">No checklist for {phase.name}.</p>;
  return (
    <ul className="space-y-2" data-testid="checklist">
      {phase.checklist.map((item) => (
        <Item key={item} rolloutId={rolloutId} phase={phase} item={item} canTick={canTick} />
      ))}
    </ul>
  );
}
