import type { Db } from "../db/client";
import { checkSketchedSampleRatio } from "../domain/sample-ratio";
import { lookAtSplitSketches } from "../metrics/split-rows-cache";

/** The stored form of the sample-ratio verdict (split_evidence.verdicts.sample_ratio). */
export interface SampleRatioVerdict {
  test: "sample_ratio";
  verdict: "alarm" | "clear" | "insufficient";
  explanation: string;
  /** The rollout phase (−1 for a split set by hand) and configured share it judged: a new one starts afresh. */
  phase: number;
  expectedOnShare: number;
  subjectsOn: number;
  subjectsOff: number;
  logBF: number;
}

/**
 * Sample ratio mismatch on distinct subjects (research §6): do the subjects the percentage served
 * split between the arms as configured? Counted from the rollups' subject sketches over the current
 * phase, from the minute after the flag's state last changed (a hand change of the percentage moves
 * the expected share), and judged with the sketches' own error as a margin (sample-ratio.ts). A
 * mismatch means the comparison's arms are not the populations it assumes (a bug in bucketing, a
 * cache serving stale variants, a redirect that drops one arm), so nothing judged on them can be trusted.
 *
 * Sticky within a phase and share, like the other alarms. Not judged while a token is held out:
 * sketches are not kept per token, so its subjects cannot be taken out.
 */
export async function lookAtSampleRatio(
  db: Db,
  input: {
    flagId: string;
    environment: string;
    phase: number;
    expectedOnShare: number;
    since: Date;
    previous: SampleRatioVerdict | null;
    heldOut: boolean;
  },
): Promise<SampleRatioVerdict> {
  const { phase, expectedOnShare } = input;
  const previous = input.previous?.phase === phase && input.previous.expectedOnShare === expectedOnShare ? input.previous : null;
  if (previous?.verdict === "alarm") return previous;
  const base = { test: "sample_ratio" as const, phase, expectedOnShare };
  if (input.heldOut) {
    return {
      ...base,
      verdict: "insufficient",
      explanation: "sample ratio not judged while a token's reports are held out (its subjects cannot be separated)",
      subjectsOn: 0,
      subjectsOff: 0,
      logBF: 0,
    };
  }
  // Kept per hour between looks (lib/metrics/split-rows-cache.ts): only hours written since are read.
  const sketches = await lookAtSplitSketches(db, { flagId: input.flagId, environment: input.environment, phase, since: input.since });
  const check = checkSketchedSampleRatio(sketches.on, sketches.off, expectedOnShare);
  const { subjectsOn, subjectsOff } = check;
  return {
    ...base,
    verdict: check.alarm ? "alarm" : subjectsOn + subjectsOff === 0 ? "insufficient" : "clear",
    explanation: check.message,
    subjectsOn,
    subjectsOff,
    logBF: check.logBF,
  };
}
