"use client";

import { useActionState } from "react";
import { commentOnPhaseAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { ApprovalRequestDto } from "@/lib/rollouts/request-approval";
import type { PhaseCommentDto } from "@/lib/rollouts/comment-on-phase";
import { ActionForm } from "../ui/action-form";
import { Button } from "../ui/button";
import { Field, TextArea } from "../ui/field";
import { FormError } from "@/components/ui/form-message";
import { utcMinute } from "@/lib/domain/utc-minute";

type Entry = { kind: "request"; at: string; request: ApprovalRequestDto } | { kind: "comment"; at: string; comment: PhaseCommentDto };

/**
 * One phase's discussion: the approval requests (with their notes) and the comments, in the order
 * they happened, and a form to add a comment for those who may.
 */
export function PhaseComments({
  rolloutId,
  phaseIndex,
  phaseName,
  requests,
  comments,
  canComment,
}: {
  rolloutId: string;
  phaseIndex: number;
  phaseName: string;
  requests: ApprovalRequestDto[];
  comments: PhaseCommentDto[];
  canComment: boolean;
}) {
  const [state, action, pending] = useActionState<RolloutFormState, FormData>(commentOnPhaseAction, { status: "idle" });
  const entries: Entry[] = [
    ...requests.map((request): Entry => ({ kind: "request", at: request.requestedAt, request })),
    ...comments.map((comment): Entry => ({ kind: "comment", at: comment.createdAt, comment })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const titleId = `discussion-${phaseIndex}-title`;
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby={titleId}>
      <h2 id={titleId} className="font-semibold">
        Discussion of {phaseName}
      </h2>
      {entries.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">No requests or comments yet.</p>
      ) : (
        <ol className="mt-3 space-y-3" data-testid="phase-thread">
          {entries.map((e) =>
            e.kind === "request" ? (
              <li key={e.request.id} className="rounded-md bg-indigo-50 p-3 text-sm break-words">
                <p className="text-slate-600">
                  <strong className="text-slate-900">{e.request.requestedBy.name}</strong> requested approval
                  {e.request.productOwners.length
                    ? ` from ${e.request.productOwners.map((p) => p.name).join(", ")}`
                    : " from any product owner"}{" "}
                  · <time dateTime={e.at}>{utcMinute(e.at)}</time>
                </p>
                {e.request.note ? <p className="mt-1 whitespace-pre-line text-slate-900">{e.request.note}</p> : null}
              </li>
            ) : (
              <li key={e.comment.id} className="rounded-md bg-slate-50 p-3 text-sm break-words">
                <p className="text-slate-600">
                  <strong className="text-slate-900">{e.comment.author.name}</strong> · <time dateTime={e.at}>{utcMinute(e.at)}</time>
                </p>
                <p className="mt-1 whitespace-pre-line text-slate-900">{e.comment.body}</p>
              </li>
            ),
          )}
        </ol>
      )}
      {canComment ? (
        <ActionForm action={action} resetOn={state.status === "ok" ? state : null} className="mt-4 space-y-2" noValidate>
          <input type="hidden" name="rolloutId" value={rolloutId} />
          <input type="hidden" name="phaseIndex" value={phaseIndex} />
          <Field label={`Comment on ${phaseName}`} error={state.fields?.body}>
            <TextArea name="body" rows={2} maxLength={2000} invalid={!!state.fields?.body} />
          </Field>
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" variant="secondary" disabled={pending}>
              {pending ? "Adding…" : "Add comment"}
            </Button>
            {state.status !== "ok" && state.message && !state.fields ? <FormError>{state.message}</FormError> : null}
          </div>
        </ActionForm>
      ) : null}
    </section>
  );
}
