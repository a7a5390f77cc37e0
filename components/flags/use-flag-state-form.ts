"use client";

import { useState, type RefObject } from "react";
import { flushSync } from "react-dom";
import { useRouter } from "next/navigation";
import type { FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";

export interface LiveRolloutInfo {
  id: string;
  status: string;
  phase: string | null;
}

/** What the form would write, as the server action reads it. */
export interface Draft {
  enabled: boolean;
  rolloutPercent: string;
  allowlist: string[];
}

export function readDraft(data: FormData): Draft {
  return {
    enabled: data.get("enabled") === "on",
    rolloutPercent: String(data.get("rolloutPercent") ?? ""),
    allowlist: String(data.get("allowlist") ?? "")
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/**
 * The editor's state between the fields and the server action: the percentage (slider and box move
 * together), the confirmation with its reason, the rollout override, and the answer to a version
 * conflict. Lives as long as one version of the state: the editor remounts it on a new version.
 * `formRef` is the editor's form, which the dialogs submit.
 */
export function useFlagStateForm({
  state,
  guarded,
  liveRollout,
  result,
  action,
  formRef,
}: {
  state: FlagStateDto;
  guarded: boolean;
  liveRollout: LiveRolloutInfo | null;
  result: FormState;
  action: (form: FormData) => void;
  formRef: RefObject<HTMLFormElement | null>;
}) {
  const router = useRouter();
  // A result from before this form was mounted (e.g. the save that produced this version) is not about its fields.
  const [mountedWith] = useState(result);
  const fresh = result !== mountedWith;
  const [percent, setPercent] = useState(String(state.rolloutPercent));
  const [dismissed, setDismissed] = useState<FormState | null>(null);
  // The version this edit claims to be based on; "Overwrite with mine" moves it to the current one.
  const [baseVersion, setBaseVersion] = useState(state.version);
  const [confirming, setConfirming] = useState<{ draft: Draft; override: boolean } | null>(null);
  const [reason, setReason] = useState("");
  const [override, setOverride] = useState(false);
  const [submitted, setSubmitted] = useState<Draft | null>(null);

  const refusedByRollout = fresh && result.status === "rollout" && dismissed !== result ? result.rollout : undefined;
  const rollout = liveRollout ?? (refusedByRollout ? { ...refusedByRollout } : null);
  const conflict = fresh && result.status === "conflict" && dismissed !== result ? result.current : undefined;

  return {
    fresh,
    fields: fresh ? (result.fields ?? {}) : {},
    percent,
    setPercent,
    baseVersion,
    reason,
    setReason,
    reasonOk: reason.trim().length >= 3,
    override,
    submitted,
    /** The live rollout, or the one that just refused the save. */
    rollout,
    refusedByRollout,
    conflict,
    needsConfirmation: guarded || rollout !== null,
    confirming,
    /** The form's action: remembers what was sent, for the conflict dialog's "Yours" column. */
    send: (data: FormData) => {
      setSubmitted(readDraft(data));
      action(data);
    },
    openConfirmation: () => setConfirming({ draft: readDraft(new FormData(formRef.current!)), override: rollout !== null }),
    cancelConfirmation: () => setConfirming(null),
    confirm: (withOverride: boolean) => {
      // Commit the hidden inputs to the DOM before the form reads them.
      flushSync(() => {
        setOverride(withOverride);
        setConfirming(null);
      });
      formRef.current?.requestSubmit();
    },
    dismissConflict: () => setDismissed(result),
    overwrite: (currentVersion: number) => {
      // Commit the new base version to the DOM before submitting the same form again.
      flushSync(() => {
        setBaseVersion(currentVersion);
        setDismissed(result);
      });
      formRef.current?.requestSubmit();
    },
    reloadLatest: () => router.refresh(),
  };
}
