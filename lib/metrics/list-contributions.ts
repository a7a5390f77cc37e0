import type { Db } from "../db/client";
import { notFound } from "../errors";
import { type Principal } from "../auth/principal";
import type { ContributionsQuery } from "./contribution-schemas";
import { requirePermission } from "../auth/permissions";

export interface Counts {
  requests: number;
  errors: number;
  evaluations: number;
}

/** One SDK token's reports for a flag in an environment over the range (docs/API.md). */
export interface TokenContribution extends Counts {
  tokenId: string;
  name: string;
  prefix: string;
  revoked: boolean;
  variants: { on: Counts; off: Counts };
  firstMinute: string;
  lastMinute: string;
}

export interface ContributionsDto {
  flagKey: string;
  environment: string;
  from: string;
  to: string;
  tokens: TokenContribution[];
  /** Everything in the rollups over the range. */
  total: Counts;
  /** What no token row accounts for: reports stored before attribution existed. */
  unattributed: Counts;
}

const zero = (): Counts => ({ requests: 0, errors: 0, evaluations: 0 });
const add = (into: Counts, r: { requests: bigint; errors: bigint; evaluations: bigint }) => {
  into.requests += Number(r.requests);
  into.errors += Number(r.errors);
  into.evaluations += Number(r.evaluations);
};

/** Who reported what for one flag: admins only, since it names every SDK token in use. */
export async function listContributions(db: Db, principal: Principal | null, query: ContributionsQuery): Promise<ContributionsDto> {
  requirePermission(principal, "metrics.contributions");
  const [flag, environment] = await Promise.all([
    db.flag.findUnique({ where: { key: query.flag }, select: { id: true } }),
    db.environment.findUnique({ where: { key: query.environment }, select: { key: true } }),
  ]);
  if (!flag) throw notFound(`Flag '${query.flag}'`);
  if (!environment) throw notFound(`Environment '${query.environment}'`);
  const [byToken, totals] = await Promise.all([
    db.$queryRaw<
      {
        token_id: string;
        name: string;
        prefix: string;
        revoked: boolean;
        variant: "on" | "off";
        requests: bigint;
        errors: bigint;
        evaluations: bigint;
        first: Date;
        last: Date;
      }[]
    >`
      SELECT t.token_id, a.name, a.token_prefix AS prefix, a.revoked_at IS NOT NULL AS revoked, t.variant,
             sum(t.requests)::bigint AS requests, sum(t.errors)::bigint AS errors, sum(t.evaluations)::bigint AS evaluations,
             min(t.minute) AS first, max(t.minute) AS last
      FROM metric_rollups_by_token t JOIN api_tokens a ON a.id = t.token_id
      WHERE t.flag_id = ${flag.id}::uuid AND t.environment_key = ${environment.key}
        AND t.minute >= date_trunc('minute', ${query.from}::timestamptz) AND t.minute < ${query.to}::timestamptz
      GROUP BY t.token_id, a.name, a.token_prefix, a.revoked_at, t.variant`,
    db.$queryRaw<{ requests: bigint; errors: bigint; evaluations: bigint }[]>`
      SELECT coalesce(sum(requests), 0)::bigint AS requests, coalesce(sum(errors), 0)::bigint AS errors,
             coalesce(sum(evaluations), 0)::bigint AS evaluations
      FROM metric_rollups
      WHERE flag_id = ${flag.id}::uuid AND environment_key = ${environment.key}
        AND minute >= date_trunc('minute', ${query.from}::timestamptz) AND minute < ${query.to}::timestamptz`,
  ]);
  const tokens = new Map<string, TokenContribution>();
  for (const r of byToken) {
    let c = tokens.get(r.token_id);
    if (!c) {
      c = {
        tokenId: r.token_id,
        name: r.name,
        prefix: r.prefix,
        revoked: r.revoked,
        ...zero(),
        variants: { on: zero(), off: zero() },
        firstMinute: r.first.toISOString(),
        lastMinute: r.last.toISOString(),
      };
      tokens.set(r.token_id, c);
    }
    add(c, r);
    add(c.variants[r.variant], r);
    if (r.first.toISOString() < c.firstMinute) c.firstMinute = r.first.toISOString();
    if (r.last.toISOString() > c.lastMinute) c.lastMinute = r.last.toISOString();
  }
  const total = zero();
  add(total, totals[0] ?? { requests: 0n, errors: 0n, evaluations: 0n });
  const attributed = zero();
  for (const c of tokens.values())
    add(attributed, { requests: BigInt(c.requests), errors: BigInt(c.errors), evaluations: BigInt(c.evaluations) });
  return {
    flagKey: query.flag,
    environment: environment.key,
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    tokens: [...tokens.values()].sort((a, b) => b.requests + b.evaluations - (a.requests + a.evaluations) || a.name.localeCompare(b.name)),
    total,
    unattributed: {
      requests: Math.max(0, total.requests - attributed.requests),
      errors: Math.max(0, total.errors - attributed.errors),
      evaluations: Math.max(0, total.evaluations - attributed.evaluations),
    },
  };
}
