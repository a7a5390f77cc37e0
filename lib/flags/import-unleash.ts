import { z } from "zod";
import type { Db, Tx } from "../db/client";
import { AppError } from "../errors";
import { recordAudits, type AuditInput } from "../audit/record-audit";
import { lockFlagsForChange } from "../db/lock-order";
import { allowLongStatements } from "../db/long-statements";
import { actorLabel, type Principal, type UserPrincipal } from "../auth/principal";
import { mapUnleashFlag, readUnleashExport, type MappedState } from "../domain/unleash-import";
import { plainText } from "../validation/text";
import { listEnvironmentKeys } from "./environments";
import { FLAG_KEY_PATTERN } from "./flag-schemas";
import { requirePermission } from "../auth/permissions";

export const importUnleashSchema = z.strictObject({
  export: z.unknown().refine((v) => typeof v === "object" && v !== null, "must be the exported JSON document"),
  /**
   * Unleash environment → Rollgate environment; by default the same name, and "default" → production.
   * null leaves that Unleash environment out (e.g. "development" when Rollgate has none).
   */
  environments: z.record(plainText({ min: 1, max: 100 }), plainText({ min: 1, max: 100 }).nullable()).optional(),
  /** What to do with a flag Rollgate cannot reproduce exactly: import it disabled there, or leave it out. */
  unmappable: z.enum(["disable", "skip"], { error: "must be 'disable' or 'skip'" }).default("disable"),
  /** A dry run (the default) shows the plan and changes nothing. */
  dryRun: z.boolean({ error: "must be true or false" }).default(true),
});
export type ImportUnleashInput = z.infer<typeof importUnleashSchema>;

interface EnvPlan {
  unleashEnvironment: string;
  from: MappedState | null;
  to: MappedState;
  exact: boolean;
  problems: string[];
}

export interface ImportPlanEntry {
  key: string;
  action: "create" | "update" | "unchanged" | "skip";
  reason?: string;
  bucketGroup: string;
  /** Set on a flag the import creates (Unleash's project and tags); an existing flag keeps its own. */
  owner: string | null;
  tags: string[];
  problems: string[];
  environments: Record<string, EnvPlan>;
}

export interface ImportResult {
  dryRun: boolean;
  summary: Record<ImportPlanEntry["action"], number>;
  flags: ImportPlanEntry[];
}

/** The whole import is one transaction of at most this long. */
const IMPORT_TIMEOUT_MS = 120_000;

const sameState = (a: MappedState | null, b: MappedState) =>
  a !== null && a.enabled === b.enabled && a.rolloutPercent === b.rolloutPercent && a.allowlist.join("\n") === b.allowlist.join("\n");

/**
 * Imports an Unleash export: plans every flag (what maps exactly, what does not and why), and unless
 * it is a dry run applies the plan in one transaction with one audit entry per flag. Importing the
 * same export twice changes nothing the second time: only states that differ are written.
 */
export async function importUnleash(db: Db, principal: Principal | null, input: ImportUnleashInput): Promise<ImportResult> {
  const user = requirePermission(principal, "flag.import");
  let read;
  try {
    read = readUnleashExport(input.export);
  } catch (err) {
    throw new AppError("VALIDATION_FAILED", (err as Error).message, { fields: { export: (err as Error).message } });
  }
  return db.$transaction(
    async (tx) => {
      // A large export can keep single statements (locking every flag it names, writing them) busy
      // for longer than a request's bound; it may run as long as its transaction.
      await allowLongStatements(tx, IMPORT_TIMEOUT_MS);
      // Every flag the export names, locked up front in the order of lib/db/lock-order.ts (not one by
      // one in the export's order, which two imports could meet in opposite orders).
      await lockFlagsForChange(
        tx,
        read.filter((f) => !f.archived && FLAG_KEY_PATTERN.test(f.name)).map((f) => f.name),
      );
      const rollgateEnvs = new Set(await listEnvironmentKeys(tx));
      const envFor = (unleashEnv: string) => {
        const mapped = input.environments?.[unleashEnv];
        return mapped !== undefined ? mapped : unleashEnv === "default" ? "production" : unleashEnv;
      };
      const flags: ImportPlanEntry[] = [];
      const toCompare: ImportPlanEntry[] = [];
      for (const flag of read) {
        const mapped = mapUnleashFlag(flag);
        const entry: ImportPlanEntry = {
          key: flag.name,
          action: "create",
          bucketGroup: mapped.bucketGroup,
          owner: mapped.owner,
          tags: mapped.tags,
          problems: mapped.problems,
          environments: {},
        };
        flags.push(entry);
        if (flag.archived) {
          Object.assign(entry, { action: "skip", reason: "archived in Unleash" });
          continue;
        }
        if (!FLAG_KEY_PATTERN.test(flag.name)) {
          Object.assign(entry, { action: "skip", reason: "the name has characters a Rollgate key cannot hold (spaces, slashes…)" });
          continue;
        }
        for (const [unleashEnv, env] of mapped.environments) {
          const target = envFor(unleashEnv);
          if (target === null) continue; // left out on purpose: not a problem
          if (!rollgateEnvs.has(target)) {
            entry.problems.push(`Unleash environment '${unleashEnv}' has no Rollgate environment '${target}'`);
            continue;
          }
          const problems = [...mapped.problems, ...env.problems];
          entry.environments[target] = {
            unleashEnvironment: unleashEnv,
            from: null,
            to: problems.length ? { ...env.state, enabled: false } : env.state,
            exact: problems.length === 0,
            problems: env.problems,
          };
        }
        const inexact = mapped.problems.length > 0 || Object.values(entry.environments).some((e) => !e.exact);
        if (inexact && input.unmappable === "skip") {
          Object.assign(entry, { action: "skip", reason: "cannot be reproduced exactly (see problems)" });
          continue;
        }
        toCompare.push(entry);
      }
      const existing = await loadExisting(
        tx,
        toCompare.map((e) => e.key),
      );
      for (const entry of toCompare) compareWithRollgate(entry, existing.get(entry.key));
      const summary = { create: 0, update: 0, unchanged: 0, skip: 0 };
      for (const f of flags) summary[f.action]++;
      if (!input.dryRun) {
        const changed = flags.filter((f) => f.action === "create" || f.action === "update");
        // Every state write before the first audit entry: a write locks its environment's row
        // (config version) and an audit entry the global audit-chain lock, levels 4 and 5 of the lock
        // order. Taken the other way round, an import holding the audit lock would wait for an
        // environment that a kill holds while the kill waits for the audit lock. A few statements for
        // the whole import, not a few per flag: 10,000 flags are a few seconds, not a minute and a half.
        await applyImport(tx, changed, user);
        await recordAudits(
          tx,
          changed.map((f) => importAudit(f, user)),
        );
      }
      return { dryRun: input.dryRun, summary, flags };
    },
    { timeout: IMPORT_TIMEOUT_MS, maxWait: 20_000 },
  );
}

interface ExistingFlag {
  archived: boolean;
  bucketGroup: string | null;
  states: Map<string, MappedState>;
  liveIn: Set<string>;
}

/**
 * What Rollgate has of these flags, in three queries whatever their number. The states are locked
 * (above) until the transaction ends, and so is the set of live rollouts: starting or ending one
 * writes the flag's state, which waits for those locks.
 */
async function loadExisting(tx: Tx, keys: string[]): Promise<Map<string, ExistingFlag>> {
  const found = new Map<string, ExistingFlag>();
  if (keys.length === 0) return found;
  const flags = await tx.$queryRaw<{ id: string; key: string; archived: boolean; bucket_group: string | null }[]>`
    SELECT id, key, archived_at IS NOT NULL AS archived, bucket_group FROM flags WHERE key = ANY(${keys}::text[])`;
  if (flags.length === 0) return found;
  const ids = flags.map((f) => f.id);
  const [states, live] = await Promise.all([
    tx.$queryRaw<{ flag_id: string; environment_key: string; enabled: boolean; rollout_percent: number; allowlist: string[] }[]>`
      SELECT flag_id, environment_key, enabled, rollout_percent, allowlist FROM flag_states WHERE flag_id = ANY(${ids}::uuid[])`,
    tx.$queryRaw<{ flag_id: string; environment_key: string }[]>`
      SELECT flag_id, environment_key FROM rollouts WHERE flag_id = ANY(${ids}::uuid[]) AND status IN ('active', 'paused')`,
  ]);
  const byId = new Map<string, ExistingFlag>();
  for (const f of flags) {
    const entry = { archived: f.archived, bucketGroup: f.bucket_group, states: new Map(), liveIn: new Set<string>() };
    found.set(f.key, entry);
    byId.set(f.id, entry);
  }
  for (const s of states) {
    byId.get(s.flag_id)?.states.set(s.environment_key, { enabled: s.enabled, rolloutPercent: s.rollout_percent, allowlist: s.allowlist });
  }
  for (const r of live) byId.get(r.flag_id)?.liveIn.add(r.environment_key);
  return found;
}

/** Fills in Rollgate's current state and the action. */
function compareWithRollgate(entry: ImportPlanEntry, existing: ExistingFlag | undefined): void {
  if (!existing) return;
  if (existing.archived) {
    Object.assign(entry, { action: "skip", reason: "archived in Rollgate (keys are not reused)" });
    return;
  }
  if ((existing.bucketGroup ?? entry.key) !== entry.bucketGroup) {
    Object.assign(entry, {
      action: "skip",
      reason: `buckets by '${existing.bucketGroup ?? entry.key}' in Rollgate, '${entry.bucketGroup}' in Unleash`,
    });
    return;
  }
  for (const [env, plan] of Object.entries(entry.environments)) plan.from = existing.states.get(env) ?? null;
  const changed = Object.entries(entry.environments).filter(([, p]) => !sameState(p.from, p.to));
  const blocked = changed.filter(([env]) => existing.liveIn.has(env));
  if (blocked.length) {
    Object.assign(entry, { action: "skip", reason: `a live rollout owns ${blocked.map(([env]) => env).join(", ")}` });
    return;
  }
  entry.action = changed.length ? "update" : "unchanged";
}

/** One planned state as the statements below read it (jsonb_to_recordset). */
const stateRows = (entries: ImportPlanEntry[], changedOnly: boolean) =>
  entries.flatMap((e) =>
    Object.entries(e.environments)
      .filter(([, plan]) => !changedOnly || !sameState(plan.from, plan.to))
      .map(([env, plan]) => ({
        key: e.key,
        environment: env,
        enabled: plan.to.enabled,
        rollout_percent: plan.to.rolloutPercent,
        allowlist: plan.to.allowlist,
      })),
  );

/**
 * Writes the plan as two statements for the whole import (rows passed as JSON): per flag, the round
 * trips alone took a minute and a half at 10,000 flags. New flags are inserted with their planned
 * states in one statement (version 2, as a created flag's first change; the flags trigger then adds
 * the default state in environments the plan leaves out); existing flags' changed states are updated.
 */
async function applyImport(tx: Tx, entries: ImportPlanEntry[], user: UserPrincipal): Promise<void> {
  const created = entries.filter((e) => e.action === "create");
  if (created.length) {
    const flags = created.map((e) => ({
      key: e.key,
      bucket_group: e.bucketGroup === e.key ? null : e.bucketGroup,
      owner: e.owner,
      tags: e.tags,
    }));
    await tx.$executeRaw`
      WITH created AS (
        INSERT INTO flags (key, description, owner_id, bucket_group, owner, tags)
        SELECT r.key, 'Imported from Unleash', ${user.userId}::uuid, r.bucket_group, r.owner, r.tags
          FROM jsonb_to_recordset(${JSON.stringify(flags)}::jsonb) AS r(key text, bucket_group text, owner text, tags text[])
        RETURNING id, key
      )
      INSERT INTO flag_states (flag_id, environment_key, enabled, rollout_percent, allowlist, version, updated_at, updated_by)
      SELECT c.id, r.environment, r.enabled, r.rollout_percent, r.allowlist, 2, now(), ${user.userId}::uuid
        FROM jsonb_to_recordset(${JSON.stringify(stateRows(created, false))}::jsonb)
               AS r(key text, environment text, enabled boolean, rollout_percent int, allowlist text[])
        JOIN created c ON c.key = r.key`;
  }
  const updates = stateRows(
    entries.filter((e) => e.action === "update"),
    true,
  );
  if (updates.length) {
    await tx.$executeRaw`
      UPDATE flag_states s
         SET enabled = r.enabled, rollout_percent = r.rollout_percent, allowlist = r.allowlist,
             version = s.version + 1, updated_at = now(), updated_by = ${user.userId}::uuid
        FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
               AS r(key text, environment text, enabled boolean, rollout_percent int, allowlist text[]),
             flags f
       WHERE f.key = r.key AND s.flag_id = f.id AND s.environment_key = r.environment`;
  }
}

function importAudit(entry: ImportPlanEntry, user: UserPrincipal): AuditInput {
  return {
    actor: { id: user.userId, label: actorLabel(user) },
    action: "flag.import",
    target: { type: "flag", id: entry.key },
    before: entry.action === "create" ? undefined : Object.fromEntries(Object.entries(entry.environments).map(([env, p]) => [env, p.from])),
    after: {
      source: "unleash",
      bucketGroup: entry.bucketGroup,
      ...(entry.action === "create" ? { owner: entry.owner, tags: entry.tags } : {}),
      environments: Object.fromEntries(Object.entries(entry.environments).map(([env, p]) => [env, p.to])),
    },
  };
}
