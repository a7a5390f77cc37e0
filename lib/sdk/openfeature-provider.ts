import type {
  Client as OpenFeatureClient,
  EvaluationContext,
  JsonValue,
  Provider,
  ResolutionDetails,
  TrackingEventDetails,
} from "@openfeature/server-sdk";
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, StandardResolutionReasons, TypeMismatchError } from "@openfeature/server-sdk";
import type { RollgateClient, RollgateClientOptions } from "./client";
import { RollgateClient as Client, reportedAs } from "./client";

export { OutcomeHook, OutcomeTimer, OUTCOME_TIMER_HINT, type OutcomeTracker } from "./outcome-hook";

/**
 * An OpenFeature server provider that evaluates in-process from the streamed snapshot (no network
 * call per evaluation), for services that want the OpenFeature API with local evaluation. Kept out of
 * `lib/sdk/index.ts` so the SDK itself has no dependency on OpenFeature.
 */
export class RollgateProvider implements Provider {
  readonly metadata = { name: "rollgate" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  private client: RollgateClient | null = null;
  private offChange: (() => void) | null = null;

  constructor(private readonly options: RollgateClientOptions) {}

  async initialize(): Promise<void> {
    this.client = await Client.connect(this.options);
    this.offChange = this.client.onChange(() => this.events.emit(ProviderEvents.ConfigurationChanged, {}));
  }

  async onClose(): Promise<void> {
    this.offChange?.();
    await this.client?.close();
  }

  /** The underlying client, e.g. to `track` outcomes. */
  get rollgate(): RollgateClient | null {
    return this.client;
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    if (!this.client) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.PROVIDER_NOT_READY };
    // The same rule as OFREP: a targeting key that is there but not a string is an invalid context,
    // not a missing key.
    const targetingKey: unknown = context.targetingKey;
    if (targetingKey !== undefined && typeof targetingKey !== "string") {
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.INVALID_CONTEXT,
        errorMessage: "context.targetingKey must be a string",
      };
    }
    // The whole context: a targeted flag's strategies read more than the key (email, plan, …).
    const d = this.client.evaluate(flagKey, context);
    if (d.reason === "ERROR") {
      const errorCode =
        d.errorCode === "FLAG_NOT_FOUND"
          ? ErrorCode.FLAG_NOT_FOUND
          : d.errorCode === "TARGETING_KEY_MISSING"
            ? ErrorCode.TARGETING_KEY_MISSING
            : ErrorCode.PROVIDER_NOT_READY;
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode };
    }
    return { value: d.value, variant: d.variantName ?? d.variant, reason: d.reason, flagMetadata: { flagVersion: d.flagVersion ?? 0 } };
  }

  /**
   * OpenFeature tracking: `client.track(flagKey, context, details)` reports the outcome of work done
   * under a flag to `POST /api/v1/events`, batched like `RollgateClient.track`. The event name is the
   * flag key (other names are ignored), `details.value` the latency in ms, `details.outcome`
   * `"success"` (default) or `"error"`, `details.errorCode` optional, `details.variant` the variant
   * served when the caller knows it: on/off, or a flag's variant name (else the one this provider
   * serves the same context).
   */
  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    if (!this.client) return;
    const targetingKey = typeof context.targetingKey === "string" ? context.targetingKey : undefined;
    // The whole context, as the evaluation had it: a flag whose strategies or rollout phase read
    // attributes (a "Staff" phase reads the email) is on for a subject its key alone does not match.
    const served = this.client.evaluate(trackingEventName, context);
    if (served.errorCode === "FLAG_NOT_FOUND") return;
    const reported = reportedAs(served);
    // `details.variant` is on/off, or the name of a flag's variant as this provider's evaluation
    // details give it (a variant is only served while the flag is on).
    const said = typeof details.variant === "string" && details.variant !== "" ? details.variant : undefined;
    const variant = said === undefined ? reported.variant : said === "off" || said === "disabled" ? "off" : "on";
    const variantName = variant !== "on" ? undefined : said !== undefined && said !== "on" ? said.slice(0, 100) : reported.variantName;
    const latencyMs = typeof details.value === "number" && Number.isFinite(details.value) && details.value >= 0 ? details.value : 0;
    this.client.track({
      flagKey: trackingEventName,
      variant,
      ...(variantName !== undefined ? { variantName } : {}),
      ...(served.reason !== "ERROR" && variant === reported.variant ? { reason: reported.reason } : {}),
      outcome: details.outcome === "error" ? "error" : "success",
      latencyMs: Math.min(latencyMs, 3_600_000),
      ...(typeof details.errorCode === "string" ? { errorCode: details.errorCode.slice(0, 100) } : {}),
      ...(targetingKey !== undefined ? { targetingKey } : {}),
    });
  }

  // Rollgate flags are boolean; other types are a caller error, reported the OpenFeature way.
  async resolveStringEvaluation(): Promise<ResolutionDetails<string>> {
    throw new TypeMismatchError("Rollgate flags are boolean");
  }
  async resolveNumberEvaluation(): Promise<ResolutionDetails<number>> {
    throw new TypeMismatchError("Rollgate flags are boolean");
  }
  async resolveObjectEvaluation<T extends JsonValue>(): Promise<ResolutionDetails<T>> {
    throw new TypeMismatchError("Rollgate flags are boolean");
  }
}

/**
 * Runs `work` under a flag and reports how it went: evaluates the flag through OpenFeature, times
 * `work(enabled)`, and tracks success or error (with the error's `code` when it has one) and the
 * latency, so the flag's charts and guardrails see it. The work's result or error is passed through.
 */
export async function withOutcomeTracking<T>(
  client: OpenFeatureClient,
  flagKey: string,
  context: EvaluationContext,
  work: (enabled: boolean) => Promise<T> | T,
): Promise<T> {
  const details = await client.getBooleanDetails(flagKey, false, context);
  const started = performance.now();
  // A flag with variants names the one served (this provider's details carry it); else on/off.
  const variant = details.value ? (details.variant ?? "on") : "off";
  try {
    const result = await work(details.value);
    client.track(flagKey, context, { value: performance.now() - started, outcome: "success", variant });
    return result;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    client.track(flagKey, context, {
      value: performance.now() - started,
      outcome: "error",
      variant,
      ...(typeof code === "string" ? { errorCode: code } : {}),
    });
    throw err;
  }
}
