"use client";

import type { Segment } from "@/lib/domain/targeting/model";
import { ConstraintEditor } from "../segments/constraint-editor";
import { Field, Select, TextInput } from "../ui/field";
import { SegmentPicker } from "./segment-picker";
import type { StrategyDraft } from "./strategy-drafts";

const STICKINESS = [
  ["default", "Default (user id, then session id, then random)"],
  ["userId", "User id"],
  ["sessionId", "Session id"],
  ["random", "Random (a new draw each time)"],
] as const;
const KNOWN_STICKINESS: ReadonlySet<string> = new Set(STICKINESS.map(([v]) => v));

/** The first message for `path` or anything under it. */
function errorAt(errors: Record<string, string>, path: string): string | undefined {
  return errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];
}

/**
 * One strategy: its title, percentage, stickiness and bucketing group, its constraints (the segments
 * page's editor) and its segments. `path` is where the server's messages for it are keyed
 * (`targeting.strategies.0`).
 */
export function StrategyForm({
  draft,
  onChange,
  errors,
  path,
  segments,
  flagGroup,
}: {
  draft: StrategyDraft;
  onChange: (draft: StrategyDraft) => void;
  errors: Record<string, string>;
  path: string;
  segments: readonly Segment[];
  flagGroup: string;
}) {
  const set = (change: Partial<StrategyDraft>) => onChange({ ...draft, ...change });
  const custom = !KNOWN_STICKINESS.has(draft.stickiness);
  const at = (field: string) => errorAt(errors, `${path}.${field}`);
  const id = `strategy-${draft.id}`;
  return (
    <div className="space-y-4" data-testid={`${id}-form`}>
      <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-[minmax(0,1fr)_8rem_minmax(0,1fr)_minmax(0,1fr)]">
        <Field label="Title" error={at("title")} hint="Shown on this page, e.g. Staff.">
          <TextInput value={draft.title} onChange={(e) => set({ title: e.target.value })} placeholder="Staff" invalid={!!at("title")} />
        </Field>
        <Field label="Rollout %" error={at("rollout")} hint="0–100, once the rest matches.">
          <TextInput
            inputMode="numeric"
            value={draft.rollout}
            onChange={(e) => set({ rollout: e.target.value })}
            invalid={!!at("rollout")}
            className="text-right"
          />
        </Field>
        <Field label="Stickiness" error={at("stickiness")} hint="What keeps a subject in or out as the percentage moves.">
          <Select
            value={custom ? "custom" : draft.stickiness}
            onChange={(e) => set({ stickiness: e.target.value === "custom" ? "" : e.target.value })}
            invalid={!!at("stickiness")}
          >
            {STICKINESS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            <option value="custom">Custom field…</option>
          </Select>
        </Field>
        <Field label="Group id" error={at("groupId")} hint="Empty: the flag's own group.">
          <TextInput
            value={draft.groupId}
            onChange={(e) => set({ groupId: e.target.value })}
            placeholder={flagGroup}
            autoComplete="off"
            invalid={!!at("groupId")}
          />
        </Field>
        {custom ? (
          <Field label="Stickiness field" error={at("stickiness")} hint="A context field, e.g. tenant.">
            <TextInput
              value={draft.stickiness}
              onChange={(e) => set({ stickiness: e.target.value })}
              placeholder="tenant"
              autoComplete="off"
              invalid={!!at("stickiness")}
            />
          </Field>
        ) : null}
      </div>
      <div>
        <h4 className="mb-2 text-sm font-medium text-slate-700">Constraints: every one must hold</h4>
        <ConstraintEditor
          drafts={draft.constraints}
          onChange={(constraints) => set({ constraints })}
          errors={errors}
          fieldPrefix={`${path}.constraints`}
          idPrefix={`${id}-constraint`}
        />
      </div>
      <SegmentPicker segments={segments} chosen={draft.segments} onChange={(ids) => set({ segments: ids })} error={at("segments")} />
      {draft.variants.length ? (
        <p className="text-xs text-slate-500">
          {draft.variants.length} strategy {draft.variants.length === 1 ? "variant" : "variants"} (
          {draft.variants.map((v) => v.name).join(", ")}) kept as they are; edit them over the API.
        </p>
      ) : null}
    </div>
  );
}
