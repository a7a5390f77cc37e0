"use client";

import { useActionState } from "react";
import { archiveFlagsAction, type FormState } from "@/app/(dashboard)/flags/actions";
import { Button } from "../ui/button";
import { TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";

export const BULK_ARCHIVE_FORM = "bulk-archive";

/**
 * Archive the flags ticked in the list with one reason. The checkboxes sit in the table rows and join
 * this form through their `form` attribute, so the table stays a table.
 */
export function BulkArchiveForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(archiveFlagsAction, { status: "idle" });
  const error = state.fields?.keys ?? (state.status === "error" ? state.message : undefined);
  return (
    <ActionForm
      id={BULK_ARCHIVE_FORM}
      action={action}
      resetOn={state.status === "saved" ? state.message : undefined}
      className="flex flex-wrap items-start gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      aria-label="Archive selected flags"
      noValidate
    >
      <label className="min-w-0 flex-1 basis-64 text-sm">
        <span className="font-medium text-slate-700">Reason for archiving the selected flags</span>
        <TextInput
          name="reason"
          className="mt-1"
          placeholder="e.g. fully rolled out, code paths removed"
          invalid={!!state.fields?.reason}
          aria-describedby="bulk-archive-status"
        />
      </label>
      <Button type="submit" variant="danger" disabled={pending} className="sm:mt-6">
        Archive selected
      </Button>
      <div id="bulk-archive-status" className="basis-full text-sm empty:hidden">
        {state.fields?.reason ? (
          <p className="text-red-600" role="alert">
            {state.fields.reason}
          </p>
        ) : null}
        {error ? (
          <p className="text-red-600" role="alert">
            {error}
          </p>
        ) : null}
        {state.status === "saved" ? (
          <p className="text-emerald-700" role="status">
            {state.message}
          </p>
        ) : null}
      </div>
    </ActionForm>
  );
}
