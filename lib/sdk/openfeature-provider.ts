import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from "@openfeature/server-sdk";
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, StandardResolutionReasons, TypeMismatchError } from "@openfeature/server-sdk";
import type { RollgateClient, RollgateClientOptions } from "./client";
import { RollgateClient as Client } from "./client";

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
    const d = this.client.evaluate(flagKey, targetingKey);
    if (d.reason === "ERROR") {
      const errorCode =
        d.errorCode === "FLAG_NOT_FOUND"
          ? ErrorCode.FLAG_NOT_FOUND
          : d.errorCode === "TARGETING_KEY_MISSING"
            ? ErrorCode.TARGETING_KEY_MISSING
            : ErrorCode.PROVIDER_NOT_READY;
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode };
    }
    return { value: d.value, variant: d.variant, reason: d.reason, flagMetadata: { flagVersion: d.flagVersion ?? 0 } };
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
