import type { Tx } from "../db/client";
import { AppError } from "../errors";
import type { Targeting } from "../domain/targeting/model";

/**
 * The checks of a targeting document that need the database, run in the writer's transaction after
 * it holds the flag state's lock (lib/db/lock-order.ts, levels 1–2):
 *
 * - every segment a strategy names exists. They are read FOR KEY SHARE, which a segment's delete
 *   (FOR UPDATE) waits for and an edit (FOR NO KEY UPDATE) does not, so none of them can be deleted
 *   before this transaction commits;
 * - every dependency names another live flag, once, and that parent depends on nothing itself;
 *   when this flag gains dependencies, no flag of the environment depends on it. Dependencies are
 *   one level deep, as in Unleash, so no cycle can form. Writers that give flags dependencies take
 *   turns per environment (`lockDependencyGraph`): two flags made to depend on each other at the
 *   same moment would otherwise each see the other without dependencies, and both pass.
 *
 * 422 with a message per field (`targeting.strategies.0.segments.1`) when one fails.
 */
export async function checkTargeting(
  tx: Tx,
  target: { flagId: string; flagKey: string; environment: string },
  targeting: Targeting,
): Promise<void> {
  const fields: Record<string, string> = {};
  await checkSegments(tx, targeting, fields);
  await checkDependencies(tx, target, targeting, fields);
  if (Object.keys(fields).length) {
    throw new AppError("UNPROCESSABLE", "The targeting refers to something that does not exist or is not allowed", { fields });
  }
}

/**
 * Serialises, per environment, the writers that give flags dependencies (lock order level 3c, see
 * lib/db/lock-order.ts), so each one's checks read the others' committed dependencies. Environments
 * in key order, so writers of several never wait on each other in opposite orders.
 */
export async function lockDependencyGraph(tx: Tx, environments: readonly string[]): Promise<void> {
  for (const env of [...new Set(environments)].sort()) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('rollgate_dependencies:' || ${env}))`;
  }
}

async function checkSegments(tx: Tx, targeting: Targeting, fields: Record<string, string>): Promise<void> {
  const ids = [...new Set(targeting.strategies.flatMap((s) => s.segments))].sort((a, b) => a - b);
  if (!ids.length) return;
  const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM segments WHERE id = ANY(${ids}::int[]) ORDER BY id FOR KEY SHARE`;
  const found = new Set(rows.map((r) => r.id));
  targeting.strategies.forEach((s, i) =>
    s.segments.forEach((id, j) => {
      if (!found.has(id)) fields[`targeting.strategies.${i}.segments.${j}`] = `no segment with id ${id}`;
    }),
  );
}

async function checkDependencies(
  tx: Tx,
  target: { flagId: string; flagKey: string; environment: string },
  targeting: Targeting,
  fields: Record<string, string>,
): Promise<void> {
  const deps = targeting.dependencies;
  if (!deps.length) return;
  await lockDependencyGraph(tx, [target.environment]);
  const keys = [...new Set(deps.map((d) => d.feature))];
  const parents = await tx.$queryRaw<{ key: string; has_dependencies: boolean }[]>`
    SELECT f.key, coalesce(jsonb_array_length(s.targeting -> 'dependencies') > 0, false) AS has_dependencies
      FROM flags f
      LEFT JOIN flag_states s ON s.flag_id = f.id AND s.environment_key = ${target.environment}
     WHERE f.key = ANY(${keys}::text[]) AND f.archived_at IS NULL`;
  const byKey = new Map(parents.map((p) => [p.key, p]));
  const seen = new Set<string>();
  deps.forEach((d, i) => {
    const field = `targeting.dependencies.${i}.feature`;
    const parent = byKey.get(d.feature);
    if (d.feature === target.flagKey) fields[field] = "a flag cannot depend on itself";
    else if (seen.has(d.feature)) fields[field] = `${d.feature} is listed twice`;
    else if (!parent) fields[field] = `no flag '${d.feature}'`;
    else if (parent.has_dependencies) fields[field] = `${d.feature} depends on another flag itself; dependencies are one level deep`;
    seen.add(d.feature);
  });
  const children = await tx.$queryRaw<{ key: string }[]>`
    SELECT f.key FROM flag_states s JOIN flags f ON f.id = s.flag_id
     WHERE s.environment_key = ${target.environment} AND f.archived_at IS NULL AND s.flag_id <> ${target.flagId}::uuid
       AND s.targeting -> 'dependencies' @> jsonb_build_array(jsonb_build_object('feature', ${target.flagKey}::text))
     ORDER BY f.key LIMIT 5`;
  if (children.length) {
    fields["targeting.dependencies"] ??=
      `${children.map((c) => c.key).join(", ")} ${children.length === 1 ? "depends" : "depend"} on this flag; dependencies are one level deep`;
  }
}
