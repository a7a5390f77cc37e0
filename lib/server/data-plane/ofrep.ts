import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { snapshotEnv, type CompiledSnapshot } from "../../domain/config-snapshot";
import { evaluate, evaluateWithContext, isEvaluation, type CompiledFlag, type EvaluationEnv } from "../../domain/evaluation";
import { targetingContextOf } from "../../domain/targeting/context";
import type { AudienceCollector } from "../../segments/audience-samples";
import type { TargetingContext } from "../../domain/targeting/model";
import type { ConfigStore } from "../../evaluation/config-store";
import { MAX_JSON_DEPTH, parseJson } from "../../validation/json";
import { stableStringify } from "../../domain/stable-json";
import { handleCors, pathOf, sendJson } from "./http-utils";
import { BodyTooLarge, readBodyThen } from "../request-body";
import type { SdkAuth } from "./sdk-auth";
import { eventStreamsFor } from "./ofrep-events";
import { rollgateMetrics } from "../metrics/rollgate-metrics";
import type { CounterChild } from "../metrics/registry";
import { logger, requestIdOf } from "../../log/logger";
import { drawsByChanceForAny, readsClockOrChance, type DrawsFor } from "../../domain/targeting/reads-clock-or-chance";

const dataPlaneLog = logger("data-plane");

/** The evaluation counters of one environment, looked up once: counting then costs an add. */
type Counted = { single: CounterChild; bulk: CounterChild };
const counted = new Map<string, Counted>();
function countersFor(environment: string): Counted {
  let c = counted.get(environment);
  if (!c) {
    const { evaluations } = rollgateMetrics();
    c = { single: evaluations.labels({ environment, kind: "single" }), bulk: evaluations.labels({ environment, kind: "bulk" }) };
    counted.set(environment, c);
  }
  return c;
}

const SINGLE = "/ofrep/v1/evaluate/flags/";
const BULK = "/ofrep/v1/evaluate/flags";

type Context = { targetingKey?: string } & Record<string, unknown>;
type ContextResult = { ok: true; context: Context } | { ok: false; status: 400; code: "PARSE_ERROR" | "INVALID_CONTEXT"; details: string };

function parseContext(body: string): ContextResult {
  const result = body.trim() === "" ? { ok: true as const, value: {} } : parseJson(body);
  if (!result.ok) {
    const details =
      result.reason === "depth" ? `request body is nested more than ${MAX_JSON_DEPTH} levels deep` : "request body is not valid JSON";
    return { ok: false, status: 400, code: "PARSE_ERROR", details };
  }
  const parsed = result.value;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, status: 400, code: "PARSE_ERROR", details: "request body must be a JSON object" };
  }
  const context = (parsed as { context?: unknown }).context;
  if (context === undefined) {
    return { ok: false, status: 400, code: "INVALID_CONTEXT", details: 'send the evaluation context: {"context": {"targetingKey": "…"}}' };
  }
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    return { ok: false, status: 400, code: "INVALID_CONTEXT", details: "context must be an object" };
  }
  const tk = (context as { targetingKey?: unknown }).targetingKey;
  if (tk !== undefined && typeof tk !== "string") {
    return { ok: false, status: 400, code: "INVALID_CONTEXT", details: "context.targetingKey must be a string" };
  }
  return { ok: true, context: context as Context };
}

const KEY_MISSING_BODY = (key: string) => ({
  key,
  errorCode: "TARGETING_KEY_MISSING",
  errorDetails: "this flag is rolled out by percentage: send context.targetingKey",
});

/** What a request's evaluations share: the context, read once and only when a targeted flag needs it. */
interface EvaluationRequest {
  readonly snapshot: CompiledSnapshot;
  readonly context: Context;
  targeting?: TargetingContext;
}

// One evaluation environment per snapshot (dependencies look up the other flags in it).
const envs = new WeakMap<CompiledSnapshot, EvaluationEnv>();
function envOf(snapshot: CompiledSnapshot): EvaluationEnv {
  let env = envs.get(snapshot);
  if (!env) envs.set(snapshot, (env = snapshotEnv(snapshot, { random: Math.random, now: Date.now })));
  return env;
}

function evaluationBody(flag: CompiledFlag, r: EvaluationRequest) {
  const { snapshot } = r;
  const metadata = { flagVersion: flag.rule.version, configVersion: snapshot.version, environment: snapshot.environment };
  if (flag.targeting === null) {
    // A plain rollout: the hot path, as before.
    const result = evaluate(flag, r.context.targetingKey);
    if (!isEvaluation(result)) return { ok: false as const, body: KEY_MISSING_BODY(flag.key) };
    return { ok: true as const, body: { key: flag.key, value: result.value, reason: result.reason, variant: result.variant, metadata } };
  }
  // Unleash SDKs send the environment they serve; an OFREP context names one only to override it.
  const result = evaluateWithContext(flag, contextOf(r, snapshot), envOf(snapshot));
  if (!isEvaluation(result)) return { ok: false as const, body: KEY_MISSING_BODY(flag.key) };
  if (!flag.targeting.multivariate) {
    return { ok: true as const, body: { key: flag.key, value: result.value, reason: result.reason, variant: result.variant, metadata } };
  }
  // A flag with variants serves the variant's payload as a typed value (or its name when it has none);
  // off, or on with no variant, it sends no value, so the caller's default applies (OFREP ADR-0006).
  // Whether the flag is on for this context is metadata.enabled.
  const served = result.value && result.variant !== "disabled";
  const value = served ? (result.payload ? result.payload.value : result.variant) : undefined;
  return {
    ok: true as const,
    body: {
      key: flag.key,
      ...(value === undefined ? {} : { value }),
      reason: result.reason,
      variant: result.variant,
      metadata: { ...metadata, enabled: result.value },
    },
  };
}

/**
 * OFREP v0.3 single and bulk evaluation, answered from the in-memory snapshot. The hot path (a known
 * SDK token, a body to read, an answer) runs on callbacks without creating a promise: each promise
 * costs its async hooks in a process where Next.js keeps AsyncLocalStorage active.
 */
export function ofrepRoute(
  store: ConfigStore,
  authenticate: (req: IncomingMessage) => SdkAuth | Promise<SdkAuth>,
  audience?: AudienceCollector,
) {
  return (req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> => {
    const path = pathOf(req);
    const isBulk = path === BULK || path === `${BULK}/`;
    if (!isBulk && !path.startsWith(SINGLE)) return false;
    let key = "";
    try {
      key = isBulk ? "" : decodeURIComponent(path.slice(SINGLE.length));
    } catch {
      key = path.slice(SINGLE.length);
    }
    const error = (status: number, errorCode: string, errorDetails: string, headers?: Record<string, string>) =>
      sendJson(res, status, isBulk ? { errorCode, errorDetails } : { key, errorCode, errorDetails }, headers);

    if (handleCors(req, res, "POST")) return true;
    if (req.method !== "POST") {
      error(405, "GENERAL", "use POST", { allow: "POST" });
      return true;
    }
    const answer = (auth: SdkAuth) => {
      if (!auth.ok) {
        error(auth.status, "GENERAL", auth.message, auth.headers);
        return;
      }
      readBodyThen(req, isBulk ? 1_000_000 : 100_000, (err, buffer) => {
        try {
          if (err) {
            if (err instanceof BodyTooLarge) error(413, "PARSE_ERROR", err.message);
            else error(400, "PARSE_ERROR", "could not read the request body");
            return;
          }
          evaluateRequest(store, auth, buffer!.toString("utf8"), { req, res, key, isBulk, error, audience });
        } catch (failure) {
          dataPlaneLog.error("OFREP evaluation failed", { requestId: requestIdOf(req), error: failure });
          if (!res.headersSent) error(500, "GENERAL", "internal error");
        }
      });
    };
    const auth = authenticate(req);
    if (auth instanceof Promise) return auth.then((a) => (answer(a), true));
    answer(auth);
    return true;
  };
}

function evaluateRequest(
  store: ConfigStore,
  auth: Extract<SdkAuth, { ok: true }>,
  body: string,
  r: {
    req: IncomingMessage;
    res: ServerResponse;
    key: string;
    isBulk: boolean;
    error: (status: number, errorCode: string, errorDetails: string, headers?: Record<string, string>) => void;
    audience?: AudienceCollector;
  },
): void {
  const { req, res, key, isBulk, error } = r;
  const { environment } = auth;
  const parsed = parseContext(body);
  if (!parsed.ok) {
    error(parsed.status, parsed.code, parsed.details);
    return;
  }
  const snapshot = store.snapshot(environment);
  if (!snapshot) {
    error(503, "GENERAL", "configuration for this environment is still loading; retry shortly", { "retry-after": "1" });
    return;
  }
  const request: EvaluationRequest = { snapshot, context: parsed.context };
  const userId = parsed.context.targetingKey;
  r.audience?.offer(environment, typeof userId === "string" ? userId : undefined, () => targetingContextOf(parsed.context));

  if (!isBulk) {
    const flag = snapshot.flags.get(key);
    if (!flag) {
      sendJson(res, 404, { key, errorCode: "FLAG_NOT_FOUND", errorDetails: `flag '${key}' does not exist in ${environment}` });
      return;
    }
    const out = evaluationBody(flag, request);
    countersFor(environment).single.inc();
    sendJson(res, out.ok ? 200 : 400, out.body);
    return;
  }

  // The advertised event stream's ticket changes daily, so the day is part of what the ETag validates.
  const streams = eventStreamsFor(auth.token, auth.tokenId, environment, Date.now());
  const contextHash = createHash("sha1").update(environment).update("\0").update(stableStringify(parsed.context)).digest("base64url");
  const ifNoneMatch = req.headers["if-none-match"];
  const matches = (etag: string) => !!ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
  const notModified = (etag: string) => {
    res.writeHead(304, { etag, "cache-control": "no-cache" });
    res.end();
  };
  // Configuration and context decide the answers, unless a flag reads the clock or chance: then the
  // answers themselves are what the ETag validates (a DATE_AFTER passing must not be a 304 till midnight).
  const varies = answersVaryWithoutChange(snapshot);
  const volatile = varies.always || (varies.drawsFor !== null && varies.drawsFor(contextOf(request, snapshot)));
  let etag = `"${snapshot.version}-${streams.day}-${contextHash.slice(0, 22)}"`;
  if (!volatile && matches(etag)) return notModified(etag);
  const flags = [...snapshot.flags.values()].map((f) => evaluationBody(f, request).body);
  if (volatile) {
    etag = `"${snapshot.version}-${streams.day}-${createHash("sha1").update(contextHash).update(JSON.stringify(flags)).digest("base64url").slice(0, 22)}"`;
    if (matches(etag)) return notModified(etag);
  }
  countersFor(environment).bulk.inc(flags.length);
  sendJson(
    res,
    200,
    { flags, eventStreams: streams.entries, metadata: { configVersion: snapshot.version, environment } },
    { etag, "cache-control": "no-cache" },
  );
}

interface Volatility {
  /** Some flag reads the clock or chance whatever the context. */
  always: boolean;
  /** The contexts for which some flag's answer is drawn by chance (no sticky id), or null for none. */
  drawsFor: DrawsFor | null;
}
const VOLATILE = new WeakMap<CompiledSnapshot, Volatility>();

/** Whether some flag of the snapshot reads the clock or chance (lib/domain/targeting), once per snapshot. */
function answersVaryWithoutChange(snapshot: CompiledSnapshot): Volatility {
  let volatile = VOLATILE.get(snapshot);
  if (volatile === undefined) {
    const flags = [...snapshot.flags.values()];
    volatile = {
      always: flags.some((flag) => readsClockOrChance(flag.rule.targeting, snapshot.segments)),
      drawsFor: drawsByChanceForAny(flags.map((flag) => flag.rule.targeting)),
    };
    VOLATILE.set(snapshot, volatile);
  }
  return volatile;
}

/** The request's targeting context, made once (evaluationBody reuses it). */
function contextOf(r: EvaluationRequest, snapshot: CompiledSnapshot): TargetingContext {
  if (!r.targeting) {
    r.targeting = targetingContextOf(r.context);
    r.targeting.environment ??= snapshot.environment;
  }
  return r.targeting;
}
