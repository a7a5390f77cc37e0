"use client";

import { useState } from "react";
import { TextInput } from "../ui/field";

/**
 * The seeds' production checklist as a gate the plan states: the environment before this one
 * "completed, ≥ N h at 100 %, no incident" (gate `earlier environment`).
 */
export function RequireEarlierField({ initial, error }: { initial: { hoursAtFull: number } | null; error?: string }) {
  const [on, setOn] = useState(initial !== null);
  return (
    <div className="text-sm">
      {/* The checkbox beside the sentence, which wraps around the hours field like text. */}
      <label className="flex items-start gap-2">
        <input
          type="checkbox"
          name="requireEarlier"
          checked={on}
          onChange={(e) => setOn(e.currentTarget.checked)}
          className="mt-2 h-4 w-4 shrink-0"
        />
        <span className="leading-8">
          Require the environment before this one: rollout completed, at 100 % for at least{" "}
          <span className="inline-block w-20 align-middle">
            <TextInput
              type="number"
              name="requireEarlierHours"
              aria-label="Hours at 100 % required in the environment before"
              min={0}
              max={720}
              defaultValue={initial?.hoursAtFull ?? 24}
              disabled={!on}
              invalid={!!error}
              compact
            />
          </span>{" "}
          h, no incident
        </span>
      </label>
      {error ? (
        <span className="mt-1 block text-red-600" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
