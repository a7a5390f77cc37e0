import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { FLAG_KEY_PATTERN } from "../flags/flag-schemas";
import { LATENCY_EDGES_MS } from "../domain/latency-buckets";
import { compareVariants, configuredVariants, type VariantComparison } from "../domain/variant-comparison";
import { variantEvaluations, variantMinutes } from "./variant-minutes";
import type { VariantQuery } from "./variant-schemas";

export interface VariantComparisonResponse extends VariantComparison {
  flagKey: string;
  environment: string;
  windowSeconds: number;
  bucketSeconds: number;
  /** ISO 8601: the window's start (a bucket boundary) and now. */
  from: string;
  to: string;
  latencyEdgesMs: readonly number[];
  /** The variants the flag serves in this environment now (strategy variants included), in order. */
  configured: string[];
  /**
   * How often Unleash SDKs reported serving each variant in the window (they report no outcomes, so
   * these are not in `variants`' requests or verdicts). Empty without such reports.
   */
  evaluations: Record<string, number>;
}

/**
 * A multivariate flag's variants in one environment over the window, each judged against a control
 * variant (lib/domain/variant-comparison.ts), from metric_variant_rollups: what SDKs reported with
 * a variant's name. The control is the one asked for, else a variant named "control", else the first
 * the flag serves; asking for a name that is neither served nor reported is a 400 on `control`.
 */
export async function getVariantComparison(
  db: Db,
  flagKey: string,
  query: VariantQuery,
  now = new Date(),
): Promise<VariantComparisonResponse> {
  if (!FLAG_KEY_PATTERN.test(flagKey)) throw notFound("Flag");
  const flag = await db.flag.findUnique({ where: { key: flagKey }, select: { id: true, archivedAt: true } });
  if (!flag || flag.archivedAt) throw notFound(`Flag '${flagKey}'`);
  const state = await db.flagState.findUnique({
    where: { flagId_environmentKey: { flagId: flag.id, environmentKey: query.environment } },
    select: { targeting: true },
  });
  if (!state) throw notFound(`Environment '${query.environment}'`);

  const bucketMs = query.bucketSeconds * 1000;
  const from = new Date(Math.floor((now.getTime() - query.windowSeconds * 1000) / bucketMs) * bucketMs);
  const window = { flagId: flag.id, environment: query.environment, since: from, until: now };
  const [rows, evaluations] = await Promise.all([variantMinutes(db, window), variantEvaluations(db, window)]);

  const configured = configuredVariants(state.targeting);
  const reported = new Set(rows.map((m) => m.name));
  if (query.control !== undefined && !configured.includes(query.control) && !reported.has(query.control)) {
    const known = [...new Set([...configured, ...reported])];
    throw new AppError("VALIDATION_FAILED", `'${query.control}' is not a variant of ${flagKey} in ${query.environment}`, {
      fields: { control: known.length ? `is not one of ${known.join(", ")}` : "this flag has no variants here" },
    });
  }
  const control = query.control ?? defaultControl(configured, reported);
  return {
    flagKey,
    environment: query.environment,
    windowSeconds: query.windowSeconds,
    bucketSeconds: query.bucketSeconds,
    from: from.toISOString(),
    to: now.toISOString(),
    latencyEdgesMs: LATENCY_EDGES_MS,
    configured,
    ...compareVariants(rows, control, bucketMs),
    evaluations,
  };
}

/** "control" (any case) when the flag has one, else its first variant, else the first reported. */
function defaultControl(configured: readonly string[], reported: ReadonlySet<string>): string | null {
  const all = [...configured, ...[...reported].sort()];
  return all.find((n) => n.toLowerCase() === "control") ?? all[0] ?? null;
}
