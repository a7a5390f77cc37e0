"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import type { FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { toDependencyDraft, toVariantDraft, type DependencyDraft, type VariantDraft } from "./flag-variant-drafts";
import { emptyStrategy, strategiesWithErrors, toStrategyDraft, type StrategyDraft } from "./strategy-drafts";

const draftsOf = (state: FlagStateDto, flagGroup: string) => (state.targeting?.strategies ?? []).map((s) => toStrategyDraft(s, flagGroup));

/**
 * The Targeting section's state between the page and the server action: the strategies being
 * edited, which of them are open, the version they are based on, and what the last save answered.
 *
 * While nothing is edited the drafts follow the page (a save of the state above, a live update);
 * once something is, they stay, and a save against an older version is answered "changed
 * elsewhere" with the current state, to overwrite or to load.
 */
export function useTargetingForm({ state, result, flagGroup }: { state: FlagStateDto; result: FormState; flagGroup: string }) {
  const router = useRouter();
  const [base, setBase] = useState(state);
  const [drafts, setDrafts] = useState<StrategyDraft[]>(() => draftsOf(state, flagGroup));
  const [variants, setVariants] = useState<VariantDraft[]>(() => (state.targeting?.variants ?? []).map(toVariantDraft));
  const [dependencies, setDependencies] = useState<DependencyDraft[]>(() => (state.targeting?.dependencies ?? []).map(toDependencyDraft));
  const [dirty, setDirty] = useState(false);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [seen, setSeen] = useState(result);
  // Messages of a save: dropped once strategies move, since they are keyed by position.
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [dismissed, setDismissed] = useState<FormState | null>(null);
  const [confirmingClear, setConfirmingClear] = useState(false);
  // The form sends `null` (clear) instead of the strategies while this is set.
  const [clearing, setClearing] = useState(false);

  const reset = (to: FlagStateDto) => {
    setBase(to);
    setDrafts(draftsOf(to, flagGroup));
    setVariants((to.targeting?.variants ?? []).map(toVariantDraft));
    setDependencies((to.targeting?.dependencies ?? []).map(toDependencyDraft));
    setDirty(false);
    setOpen(new Set());
    setErrors({});
  };
  // Adjusted while rendering, as React recommends for state that follows a prop.
  if (result !== seen) {
    setSeen(result);
    setClearing(false);
    if (result.status === "saved" && result.current) reset(result.current);
    else if (result.status === "invalid") {
      const fields = result.fields ?? {};
      setErrors(fields);
      const bad = strategiesWithErrors(fields);
      setOpen(new Set([...open, ...drafts.filter((_, i) => bad.has(i)).map((d) => d.id)]));
    }
  } else if (state.version !== base.version && !dirty && state.version > base.version) {
    reset(state);
  }

  const change = (next: StrategyDraft[], structural = false) => {
    setDrafts(next);
    setDirty(true);
    if (structural) setErrors({});
  };
  const conflict = result.status === "conflict" && dismissed !== result ? result.current : undefined;

  const edited =
    <T>(set: (next: T) => void) =>
    (next: T, structural = false) => {
      set(next);
      setDirty(true);
      if (structural) setErrors({});
    };

  return {
    drafts,
    variants,
    dependencies,
    setVariants: edited(setVariants),
    setDependencies: edited(setDependencies),
    baseVersion: base.version,
    dirty,
    errors,
    conflict,
    confirmingClear,
    clearing,
    isOpen: (id: number) => open.has(id),
    toggle: (id: number) => setOpen(open.has(id) ? new Set([...open].filter((x) => x !== id)) : new Set([...open, id])),
    update: (id: number, next: StrategyDraft) => change(drafts.map((d) => (d.id === id ? next : d))),
    add: () => {
      const d = emptyStrategy();
      change([...drafts, d], true);
      setOpen(new Set([...open, d.id]));
    },
    remove: (id: number) =>
      change(
        drafts.filter((d) => d.id !== id),
        true,
      ),
    move: (index: number, by: -1 | 1) => {
      const to = index + by;
      if (to < 0 || to >= drafts.length) return;
      const next = [...drafts];
      [next[index], next[to]] = [next[to]!, next[index]!];
      change(next, true);
    },
    discard: () => reset(state),
    askClear: () => setConfirmingClear(true),
    cancelClear: () => setConfirmingClear(false),
    /** Confirmed: the caller submits the form once this has reached the DOM (flushSync). */
    confirmClear: () => {
      setConfirmingClear(false);
      setClearing(true);
    },
    /** "Changed elsewhere": keep my strategies and save them over the current version. */
    overwrite: (current: FlagStateDto) => {
      setBase(current);
      setDismissed(result);
    },
    /** "Changed elsewhere": drop my strategies and edit the current ones. */
    loadCurrent: (current: FlagStateDto) => {
      reset(current);
      setDismissed(result);
      router.refresh();
    },
  };
}

export type TargetingForm = ReturnType<typeof useTargetingForm>;
