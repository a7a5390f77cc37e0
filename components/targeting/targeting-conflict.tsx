"use client";

import { describeStrategy } from "@/lib/domain/targeting/describe";
import type { Segment } from "@/lib/domain/targeting/model";
import type { LastChange } from "@/lib/flags/update-flag-state";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";

/** A save against an older version: what the state is now, and whether to keep my strategies or load these. */
export function TargetingConflict({
  current,
  lastChange,
  segmentsById,
  onKeepMine,
  onLoadCurrent,
}: {
  current: FlagStateDto;
  lastChange?: LastChange | null;
  segmentsById: Readonly<Record<string, Segment>>;
  onKeepMine: () => void;
  onLoadCurrent: () => void;
}) {
  const strategies = current.targeting?.strategies ?? [];
  return (
    <div
      className="space-y-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200"
      role="alert"
      data-testid="targeting-conflict"
    >
      <p className="font-medium">
        Changed elsewhere: this state is now version {current.version}
        {lastChange ? ` (${lastChange.by}, ${new Date(lastChange.at).toLocaleString("en-GB", { timeZone: "UTC" })} UTC)` : ""}. Nothing was
        saved.
      </p>
      <p>Its targeting now:</p>
      {strategies.length ? (
        <ol className="list-decimal space-y-1 pl-5">
          {strategies.map((s, i) => (
            <li key={i} className="break-words">
              {s.title ? `${s.title}: ` : ""}
              {describeStrategy(s, segmentsById)}
            </li>
          ))}
        </ol>
      ) : (
        <p>No strategies ({current.rolloutPercent} % of everyone by the rollout percentage).</p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="secondary" onClick={onKeepMine}>
          Keep mine (save again to overwrite)
        </Button>
        <Button type="button" variant="secondary" onClick={onLoadCurrent}>
          Discard mine, load these
        </Button>
      </div>
    </div>
  );
}
