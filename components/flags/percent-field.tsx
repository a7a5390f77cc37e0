"use client";

import { Field, TextInput } from "../ui/field";

/** A slider and a number box that move together; only the box is posted. */
export function PercentField({
  environment,
  percent,
  onPercent,
  disabled,
  error,
}: {
  environment: string;
  percent: string;
  onPercent: (percent: string) => void;
  disabled: boolean;
  error?: string;
}) {
  return (
    <Field label="Rollout percentage" error={error} hint="Users whose bucket (1–100) is at or below this get the flag.">
      <div className="flex items-center gap-3">
        <input
          type="range"
          min={0}
          max={100}
          value={/^\d+$/.test(percent) ? Number(percent) : 0}
          onChange={(e) => onPercent(e.target.value)}
          disabled={disabled}
          aria-label={`${environment} rollout slider`}
          className="min-w-0 flex-1 accent-indigo-600"
        />
        <TextInput
          name="rolloutPercent"
          inputMode="numeric"
          value={percent}
          onChange={(e) => onPercent(e.target.value)}
          disabled={disabled}
          invalid={!!error}
          aria-label={`${environment} rollout percentage`}
          className="w-20 text-right"
        />
        <span className="text-sm text-slate-500">%</span>
      </div>
    </Field>
  );
}
