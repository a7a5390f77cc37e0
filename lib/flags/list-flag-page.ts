import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { AppError } from "../errors";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";
import { staleConditions, type StaleReason } from "./flag-lifecycle";
import { encodeCursor, type FlagCursor, type FlagListQuery, type FlagStateFilter } from "./flag-list-query";

/** A listed flag: the documented Flag plus what the list shows about its lifecycle. */
export interface FlagListItem extends FlagDto {
  /** Newest minute with evaluations per environment (ISO), null when none was ever counted. */
  lastEvaluated: Record<string, string | null>;
  /** Why the flag is potentially stale, or null. */
  stale: StaleReason | null;
}

export interface FlagPage {
  flags: FlagListItem[];
  /** Cursor of the following page, null on the last one. */
  next: string | null;
  /** Cursor of the page before, null on the first one. */
  prev: string | null;
}

const STATE_CONDITION: Record<FlagStateFilter, Prisma.Sql> = {
  killed: Prisma.sql`s.killed`,
  off: Prisma.sql`NOT s.killed AND NOT s.enabled`,
  on: Prisma.sql`NOT s.killed AND s.enabled`,
  rolling_out: Prisma.sql`NOT s.killed AND s.enabled AND s.rollout_percent BETWEEN 1 AND 99`,
  full: Prisma.sql`NOT s.killed AND s.enabled AND s.rollout_percent = 100`,
};

/** LIKE pattern for a literal substring: the wildcards a person may type are matched as themselves. */
const containsPattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

interface PageRow {
  id: string;
  sort_value: string;
}

/**
 * One page of the flag list, by keyset (sort value, id) rather than OFFSET: a page costs the same at
 * flag 9,900 as at flag 1, and flags created while someone pages through neither repeat nor push
 * others out of view. The query only finds ids; the page's flags are then read whole.
 */
export async function listFlagPage(db: Db, query: FlagListQuery, now = new Date()): Promise<FlagPage> {
  const stale = staleConditions(now);
  const where: Prisma.Sql[] = [Prisma.sql`f.archived_at IS NULL`];
  // The indexed expression (migration 20261203000700): key and description joined by a newline, lowered.
  if (query.q) where.push(Prisma.sql`rollgate_flag_search_text(f.key, f.description) LIKE ${containsPattern(query.q)}`);
  if (query.state) {
    const env = query.environment ? Prisma.sql`AND s.environment_key = ${query.environment}` : Prisma.empty;
    where.push(Prisma.sql`EXISTS (SELECT 1 FROM flag_states s WHERE s.flag_id = f.id ${env} AND ${STATE_CONDITION[query.state]})`);
  }
  if (query.owner) where.push(Prisma.sql`lower(f.owner) = lower(${query.owner})`);
  if (query.tag) where.push(Prisma.sql`f.tags @> ARRAY[${query.tag}]::text[]`);
  if (query.stale) where.push(Prisma.sql`(${stale.notEvaluated} OR ${stale.fullyRolledOut})`);

  // "updated": the newest state change in any environment; "evaluated": the newest evaluated minute in
  // any environment, never-evaluated flags last (as of the epoch). Both newest first; microseconds as
  // text so a cursor compares exactly what the database stored.
  const byKey = query.sort === "key";
  const sortExpr = byKey
    ? Prisma.sql`f.key`
    : query.sort === "updated"
      ? Prisma.sql`coalesce((SELECT max(s.updated_at) FROM flag_states s WHERE s.flag_id = f.id), f.created_at)`
      : Prisma.sql`coalesce((SELECT max(e.last_minute) FROM flag_last_evaluated e WHERE e.flag_id = f.id), 'epoch'::timestamptz)`;
  const sortText = byKey ? sortExpr : Prisma.sql`to_char(${sortExpr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const cursorValue = (c: FlagCursor) => (byKey ? Prisma.sql`${c.value}` : Prisma.sql`${c.value}::timestamptz`);
  // Ascending by key, descending by time; a "prev" cursor reads the other way and the rows are turned back.
  const backwards = query.cursor?.direction === "prev";
  const ascending = byKey !== backwards;
  if (query.cursor) {
    where.push(
      ascending
        ? Prisma.sql`(${sortExpr}, f.id) > (${cursorValue(query.cursor)}, ${query.cursor.id}::uuid)`
        : Prisma.sql`(${sortExpr}, f.id) < (${cursorValue(query.cursor)}, ${query.cursor.id}::uuid)`,
    );
  }
  const order = ascending ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  // The environments beside the page, not before it: one wait fewer. An unknown environment only
  // matches nothing in the page's query, and is refused here before anything is answered.
  const [environments, rows] = await Promise.all([
    listEnvironmentKeys(db),
    db.$queryRaw<PageRow[]>`
      SELECT f.id, ${sortText} AS sort_value FROM flags f
       WHERE ${Prisma.join(where, " AND ")}
       ORDER BY ${sortExpr} ${order}, f.id ${order}
       LIMIT ${query.limit + 1}`,
  ]);
  if (query.environment && !environments.includes(query.environment)) {
    throw new AppError("VALIDATION_FAILED", "The request is invalid", {
      fields: { environment: `no environment '${query.environment}' (${environments.join(", ")})` },
    });
  }
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  if (backwards) page.reverse();

  const cursorAt = (row: PageRow | undefined, direction: FlagCursor["direction"]) =>
    row ? encodeCursor({ sort: query.sort, direction, value: row.sort_value, id: row.id }) : null;
  // Read forwards, there is a next page when a row was left over and a previous one when we came by
  // cursor; read backwards, the other way round.
  const next = backwards || more ? cursorAt(page.at(-1), "next") : null;
  const prev = (backwards ? more : Boolean(query.cursor)) ? cursorAt(page[0], "prev") : null;
  return {
    flags: await loadListItems(
      db,
      page.map((r) => r.id),
      environments,
      now,
    ),
    next,
    prev,
  };
}

async function loadListItems(db: Db, ids: string[], environments: string[], now: Date): Promise<FlagListItem[]> {
  if (ids.length === 0) return [];
  // Per flag, behind the fence: see staleConditions.
  const stale = staleConditions(now, { perFlag: true });
  // Flags and their states side by side (an `include` reads them one after the other).
  const [flags, states, evaluated, staleRows] = await Promise.all([
    db.flag.findMany({ where: { id: { in: ids } } }),
    db.flagState.findMany({ where: { flagId: { in: ids } } }),
    db.flagLastEvaluated.findMany({ where: { flagId: { in: ids } } }),
    db.$queryRaw<{ id: string; not_evaluated: boolean; fully_rolled_out: boolean }[]>`
      SELECT f.id, ${stale.notEvaluated} AS not_evaluated, ${stale.fullyRolledOut} AS fully_rolled_out
        FROM flags f WHERE f.id = ANY(${ids}::uuid[])`,
  ]);
  const statesOf = new Map<string, (typeof states)[number][]>();
  for (const s of states) {
    const list = statesOf.get(s.flagId);
    if (list) list.push(s);
    else statesOf.set(s.flagId, [s]);
  }
  const byId = new Map(flags.map((f) => [f.id, { ...f, states: statesOf.get(f.id) ?? [] }]));
  const evaluatedAt = new Map(evaluated.map((e) => [`${e.flagId}/${e.environmentKey}`, e.lastMinute.toISOString()]));
  const staleById = new Map(
    staleRows.map((r) => [r.id, r.not_evaluated ? ("not_evaluated" as const) : r.fully_rolled_out ? ("fully_rolled_out" as const) : null]),
  );
  const items: FlagListItem[] = [];
  for (const id of ids) {
    const flag = byId.get(id);
    if (!flag) continue; // deleted between the two reads
    const lastEvaluated: Record<string, string | null> = {};
    for (const env of environments) {
      lastEvaluated[env] = evaluatedAt.get(`${id}/${env}`) ?? null;
    }
    items.push({ ...toFlagDto(flag, environments), lastEvaluated, stale: staleById.get(id) ?? null });
  }
  return items;
}
