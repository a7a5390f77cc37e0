"use client";

import { useActionState, useState } from "react";
import { deleteSegmentAction, type SegmentFormState } from "@/app/(dashboard)/segments/actions";
import type { SegmentSummaryDto } from "@/lib/segments/segment-dto";
import { describeConstraints } from "@/lib/domain/targeting/describe";
import { ActionForm } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { SegmentForm } from "./segment-form";
import { FormError } from "@/components/ui/form-message";

/** One segment: its audience in words, where it is used, and (for those who may) edit and delete. */
export function SegmentCard({
  segment,
  canEdit,
  reach = [],
}: {
  segment: SegmentSummaryDto;
  canEdit: boolean;
  /** Per environment, how many of the users seen last week it matches (lib/rollouts/phase-reach.ts). */
  reach?: { environment: string; words: string }[];
}) {
  const [editing, setEditing] = useState(false);
  const [deleted, remove, deleting] = useActionState<SegmentFormState, FormData>(deleteSegmentAction, { status: "idle" });
  return (
    <li
      className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid={`segment-${segment.name}`}
      id={`segment-${segment.id}`}
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 className="font-semibold text-slate-900">{segment.name}</h3>
          {segment.description ? <p className="text-sm text-slate-500">{segment.description}</p> : null}
          <p className="mt-1 text-sm break-words text-slate-700" data-testid="segment-audience">
            {describeConstraints(segment.constraints)}
          </p>
          {reach.length ? (
            <ul className="mt-1 space-y-0.5 text-xs text-slate-500" data-testid="segment-reach" aria-label={`${segment.name}: users seen`}>
              {reach.map((r) => (
                <li key={r.environment}>
                  <span className="capitalize">{r.environment}</span>: {r.words}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {segment.usedBy ? (
            <Badge tone="indigo">{`Used by ${segment.usedBy} flag ${segment.usedBy === 1 ? "state" : "states"}`}</Badge>
          ) : segment.plannedBy ? null : (
            <Badge tone="gray">Not used</Badge>
          )}
          {segment.liveRollouts ? (
            <Badge tone="amber">{`${segment.liveRollouts} live ${segment.liveRollouts === 1 ? "rollout" : "rollouts"}`}</Badge>
          ) : null}
          {segment.plannedBy ? (
            <Badge tone="amber">{`Planned in ${segment.plannedBy} ${segment.plannedBy === 1 ? "rollout" : "rollouts"}`}</Badge>
          ) : null}
          <span className="text-xs text-slate-500">v{segment.version}</span>
        </div>
      </div>
      {canEdit && !editing ? (
        <div className="mt-3 flex flex-wrap gap-2">
          <Button variant="secondary" className="px-2.5 py-1.5" onClick={() => setEditing(true)} aria-label={`Edit ${segment.name}`}>
            Edit
          </Button>
          {segment.usedBy === 0 && segment.plannedBy === 0 ? (
            <ActionForm action={remove}>
              <input type="hidden" name="id" value={segment.id} />
              <Button
                variant="secondary"
                className="px-2.5 py-1.5 text-red-700"
                type="submit"
                disabled={deleting}
                aria-label={`Delete ${segment.name}`}
              >
                Delete
              </Button>
            </ActionForm>
          ) : null}
        </div>
      ) : null}
      {deleted.message ? <FormError className="mt-2">{deleted.message}</FormError> : null}
      {editing ? (
        <div className="mt-4 border-t border-slate-200 pt-4">
          <SegmentForm segment={segment} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
        </div>
      ) : null}
    </li>
  );
}
