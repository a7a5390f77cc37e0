"use client";

import type { FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";
import { ModalDialog } from "../ui/modal-dialog";
import { listText } from "./state-changes";
import type { Draft } from "./use-flag-state-form";

/** Someone saved first: their values next to yours, and who it was; nothing was saved. */
export function ConflictDialog({
  environment,
  baseVersion,
  current,
  lastChange,
  submitted,
  onCancel,
  onOverwrite,
  onReload,
  returnFocusTo,
}: {
  environment: string;
  baseVersion: number;
  current: FlagStateDto;
  lastChange: FormState["lastChange"];
  submitted: Draft | null;
  onCancel: () => void;
  onOverwrite: () => void;
  onReload: () => void;
  /** The save that ran into the conflict: it had no focus left to give back while it was saving. */
  returnFocusTo: () => HTMLElement | null;
}) {
  return (
    <ModalDialog title="Someone else changed this flag" onClose={onCancel} returnFocusTo={returnFocusTo} className="max-w-lg p-6">
      <p className="mt-2 text-sm text-slate-600">
        Your edit was based on version {baseVersion}, but {environment} is now at version {current.version}
        {lastChange ? (
          <>
            , last changed by <strong data-testid="conflict-by">{lastChange.by}</strong> (
            {lastChange.action.replace("flag_state.", "").replace("rollout.", "rollout ")}, {lastChange.at.replace("T", " ").slice(0, 19)}{" "}
            UTC)
          </>
        ) : null}
        . Nothing was saved. Load their change and start again, or save yours over it (theirs stays in the audit log).
      </p>
      <ConflictTable theirs={current} yours={submitted} />
      <div className="mt-5 flex flex-wrap justify-end gap-2">
        <Button variant="secondary" type="button" onClick={onCancel}>
          Cancel
        </Button>
        <Button variant="secondary" type="button" onClick={onOverwrite}>
          Overwrite with mine
        </Button>
        <Button type="button" onClick={onReload}>
          Reload latest
        </Button>
      </div>
    </ModalDialog>
  );
}

function ConflictTable({ theirs, yours }: { theirs: FlagStateDto; yours: Draft | null }) {
  return (
    <table className="mt-4 w-full text-left text-sm" data-testid="conflict-table">
      <caption className="sr-only">Their values and yours</caption>
      <thead className="text-xs text-slate-500 uppercase">
        <tr>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Field
          </th>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Theirs (v{theirs.version})
          </th>
          <th scope="col" className="py-1 font-semibold">
            Yours
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        <tr>
          <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
            Enabled
          </th>
          <td className="py-1 pr-2">{theirs.enabled ? "yes" : "no"}</td>
          <td className="py-1">{yours ? (yours.enabled ? "yes" : "no") : "—"}</td>
        </tr>
        <tr>
          <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
            Rollout
          </th>
          <td className="py-1 pr-2" data-testid="conflict-percent">
            {theirs.rolloutPercent}%
          </td>
          <td className="py-1" data-testid="conflict-yours-percent">
            {yours ? `${yours.rolloutPercent}%` : "—"}
          </td>
        </tr>
        <tr>
          <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
            Allowlist
          </th>
          <td className="py-1 pr-2 break-all">{listText(theirs.allowlist)}</td>
          <td className="py-1 break-all">{yours ? listText(yours.allowlist) : "—"}</td>
        </tr>
        <tr>
          <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
            Killed
          </th>
          <td className="py-1 pr-2">{theirs.killed ? "yes" : "no"}</td>
          <td className="py-1 text-slate-500">(not changed here)</td>
        </tr>
      </tbody>
    </table>
  );
}
