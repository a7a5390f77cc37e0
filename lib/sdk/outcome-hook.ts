// Type-only imports: this file adds no runtime dependency on OpenFeature (the hook is a plain object
// with the right methods), so it bundles into the OpenFeature entry without importing anything.
import type {
  EvaluationContext,
  EvaluationDetails,
  FlagValue,
  Hook,
  HookContext,
  HookHints,
  TrackingEventDetails,
} from "@openfeature/server-sdk";

/** Where outcomes go: a RollgateProvider, or an OpenFeature client (whose `track` reaches the provider). */
export interface OutcomeTracker {
  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void;
}

/** The hook hint a timer travels in, from the caller's evaluation options to the hook. */
export const OUTCOME_TIMER_HINT = "rollgate.outcomeTimer";

interface Bound {
  flagKey: string;
  context: EvaluationContext;
  variant: "on" | "off";
  /** A flag with variants that was on: the variant served. */
  variantName?: string;
  tracker: OutcomeTracker;
}

/**
 * Times one evaluated code path: from the flag's evaluation until `success()` or `error()`. Pass it
 * to the evaluation with `timer.options` (or merge `timer.hints` into your own hook hints); the
 * OutcomeHook then learns the flag, the context and the variant served, and `success()`/`error()`
 * report the outcome with the elapsed time through OpenFeature tracking. One timer per evaluation;
 * only the first end counts.
 */
export class OutcomeTimer {
  private startedAt: number | null = null;
  private bound: Bound | null = null;
  private ended = false;

  /** Hook hints carrying this timer, to merge with hints of your own. */
  get hints(): HookHints {
    return { [OUTCOME_TIMER_HINT]: this };
  }

  /** Evaluation options carrying this timer: `client.getBooleanValue(key, false, context, timer.options)`. */
  get options(): { hookHints: HookHints } {
    return { hookHints: this.hints };
  }

  /** The variant the evaluation served, once it has run through an OutcomeHook; else null. */
  get variant(): "on" | "off" | null {
    return this.bound?.variant ?? null;
  }

  /** A flag with variants that was on: the name of the variant served; else null. */
  get variantName(): string | null {
    return this.bound?.variantName ?? null;
  }

  /** Milliseconds since the evaluation started, or null before it has. */
  elapsedMs(): number | null {
    return this.startedAt === null ? null : performance.now() - this.startedAt;
  }

  /** Reports that the code path succeeded. False when nothing was reported (not evaluated through an OutcomeHook, or ended before). */
  success(): boolean {
    return this.end("success");
  }

  /**
   * Reports that the code path failed; the error's `code` (a string) becomes the event's error code,
   * as does a string passed instead of an error.
   */
  error(err?: unknown): boolean {
    const code = typeof err === "string" ? err : (err as { code?: unknown } | null | undefined)?.code;
    return this.end("error", typeof code === "string" ? code : undefined);
  }

  /** @internal Called by OutcomeHook when the evaluation starts. */
  start(): void {
    this.startedAt ??= performance.now();
  }

  /** @internal Called by OutcomeHook when the evaluation has its result; the first evaluation wins. */
  bind(bound: Bound): void {
    this.bound ??= bound;
  }

  private end(outcome: "success" | "error", errorCode?: string): boolean {
    const bound = this.bound;
    const elapsed = this.elapsedMs();
    if (this.ended || !bound || elapsed === null) return false;
    this.ended = true;
    bound.tracker.track(bound.flagKey, bound.context, {
      value: elapsed,
      outcome,
      // The provider's tracking takes a variant's name as `on` with that variant.
      variant: bound.variantName ?? bound.variant,
      ...(errorCode !== undefined ? { errorCode } : {}),
    });
    return true;
  }
}

/**
 * An OpenFeature hook that turns evaluations into timed outcomes. Hooks run around the evaluation,
 * not around the code that uses its answer, so the end of that code has to be said explicitly: pass
 * an `OutcomeTimer` in the evaluation's hook hints, then call `timer.success()` or `timer.error(err)`
 * when the code path is done. Evaluations without a timer, and non-boolean ones, are left alone.
 *
 * ```ts
 * const outcomes = new OutcomeHook(provider);
 * OpenFeature.addHooks(outcomes);
 * const timer = outcomes.timer();
 * const enabled = await client.getBooleanValue("new-checkout", false, { targetingKey: user.id }, timer.options);
 * try { await (enabled ? newCheckout() : oldCheckout()); timer.success(); } catch (err) { timer.error(err); throw err; }
 * ```
 */
export class OutcomeHook implements Hook {
  constructor(private readonly tracker: OutcomeTracker) {}

  /** A fresh timer for one evaluation. */
  timer(): OutcomeTimer {
    return new OutcomeTimer();
  }

  before(hookContext: HookContext, hookHints?: HookHints): void {
    if (hookContext.flagValueType === "boolean") timerIn(hookHints)?.start();
  }

  after(hookContext: HookContext, evaluationDetails: EvaluationDetails<FlagValue>, hookHints?: HookHints): void {
    const variant =
      evaluationDetails.variant === "on" || evaluationDetails.variant === "off"
        ? evaluationDetails.variant
        : evaluationDetails.value === true
          ? "on"
          : "off";
    // A flag with variants names the one served (Rollgate's provider gives it as the variant).
    const named =
      variant === "on" && typeof evaluationDetails.variant === "string" && !["on", "off", ""].includes(evaluationDetails.variant);
    this.bind(hookContext, variant, hookHints, named ? evaluationDetails.variant : undefined);
  }

  // A failed evaluation gives the caller the default value, and the code path it runs for that value
  // is worth timing like any other (the provider drops events for flags it does not know). `error`
  // rather than `finally`, whose evaluation details older 1.x SDKs do not pass.
  error(hookContext: HookContext, _error: unknown, hookHints?: HookHints): void {
    this.bind(hookContext, hookContext.defaultValue === true ? "on" : "off", hookHints);
  }

  private bind(hookContext: HookContext, variant: "on" | "off", hookHints: HookHints | undefined, variantName?: string): void {
    const timer = timerIn(hookHints);
    if (!timer || hookContext.flagValueType !== "boolean") return;
    timer.bind({
      flagKey: hookContext.flagKey,
      context: hookContext.context,
      variant,
      ...(variantName !== undefined ? { variantName } : {}),
      tracker: this.tracker,
    });
  }
}

function timerIn(hints: HookHints | undefined): OutcomeTimer | null {
  const value = hints?.[OUTCOME_TIMER_HINT];
  return value instanceof OutcomeTimer ? value : null;
}
