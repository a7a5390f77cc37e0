"use client";

import type { Segment } from "@/lib/domain/targeting/model";
import { Button } from "../ui/button";
import { describeDraft, type StrategyDraft } from "./strategy-drafts";
import { StrategyForm } from "./strategy-form";
import type { TargetingForm } from "./use-targeting-form";

const small = "px-2 py-1 text-xs";

/** One strategy in the list: its place, its audience in words, move / edit / remove, and its form when open. */
export function StrategyItem({
  draft,
  index,
  count,
  form,
  segments,
  segmentsById,
  flagGroup,
}: {
  draft: StrategyDraft;
  index: number;
  count: number;
  form: TargetingForm;
  segments: readonly Segment[];
  segmentsById: Readonly<Record<string, Segment>>;
  flagGroup: string;
}) {
  const open = form.isOpen(draft.id);
  const path = `targeting.strategies.${index}`;
  const hasErrors = Object.keys(form.errors).some((k) => k === path || k.startsWith(`${path}.`));
  const name = draft.title.trim() || `Strategy ${index + 1}`;
  return (
    <li className={`rounded-lg p-3 ring-1 ${hasErrors ? "ring-red-300" : "ring-slate-200"}`} data-testid={`strategy-${index}`}>
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0 flex-1 basis-64">
          <p className="text-sm font-medium text-slate-900">
            <span className="text-slate-500">{index === 0 ? "1." : `or ${index + 1}.`}</span> {name}
          </p>
          <p className="text-sm break-words text-slate-700" data-testid="strategy-words">
            {describeDraft(draft, segmentsById)}
          </p>
          {hasErrors && !open ? <p className="text-sm text-red-600">Has errors: edit to see them.</p> : null}
        </div>
        <div className="flex flex-wrap gap-1.5">
          <Button
            type="button"
            variant="secondary"
            className={small}
            disabled={index === 0}
            onClick={() => form.move(index, -1)}
            aria-label={`Move ${name} up`}
          >
            ↑
          </Button>
          <Button
            type="button"
            variant="secondary"
            className={small}
            disabled={index === count - 1}
            onClick={() => form.move(index, 1)}
            aria-label={`Move ${name} down`}
          >
            ↓
          </Button>
          <Button
            type="button"
            variant="secondary"
            className={small}
            onClick={() => form.toggle(draft.id)}
            aria-expanded={open}
            aria-label={open ? `Done editing ${name}` : `Edit ${name}`}
          >
            {open ? "Done" : "Edit"}
          </Button>
          <Button
            type="button"
            variant="secondary"
            className={`${small} text-red-700`}
            onClick={() => form.remove(draft.id)}
            aria-label={`Remove ${name}`}
          >
            Remove
          </Button>
        </div>
      </div>
      {open ? (
        <div className="mt-3 border-t border-slate-100 pt-3">
          <StrategyForm
            draft={draft}
            onChange={(next) => form.update(draft.id, next)}
            errors={form.errors}
            path={path}
            segments={segments}
            flagGroup={flagGroup}
          />
        </div>
      ) : null}
    </li>
  );
}
