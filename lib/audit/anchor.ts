import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db/client";
import { logFailure } from "../db/outage-log";

/**
 * The audit chain's head (newest id, its hash, the number of entries), copied out of the database.
 * The chain alone cannot show that entries were cut off its end, and the `audit_anchor` row that the
 * audit trigger moves with every entry can be rewritten by whoever can cut them (a superuser). So
 * the head is also exported to a file in the data dir — at start, every minute while serving and by
 * each successful `npm run audit:verify` — and verification compares the log against the last export.
 * An export never replaces a file whose head the log no longer contains: that file is the evidence.
 */

export interface AnchorHead {
  /** Names this log (random, from the migration) together with the database name. */
  anchorId: string;
  database: string;
  lastId: string;
  lastHash: string;
  entries: string;
  /** When the newest entry was written. */
  headAt: string;
}

export interface ExportedAnchor extends AnchorHead {
  exportedAt: string;
}

export interface AnchorCheck {
  /** What the database's audit_anchor row says now (null if the row is gone). */
  current: AnchorHead | null;
  /** The last exported copy, or null when none was exported to this data dir yet. */
  exported: ExportedAnchor | null;
  file: string | null;
  problems: string[];
}

export async function readAnchorHead(db: Db): Promise<AnchorHead | null> {
  const rows = await db.$queryRaw<
    { anchor_id: string; database: string; last_id: bigint; last_hash: string; entries: bigint; updated_at: Date }[]
  >`
    SELECT anchor_id::text, current_database()::text AS database, last_id, last_hash, entries, updated_at FROM audit_anchor WHERE singleton`;
  const r = rows[0];
  if (!r) return null;
  return {
    anchorId: r.anchor_id,
    database: r.database,
    lastId: r.last_id.toString(),
    lastHash: r.last_hash,
    entries: r.entries.toString(),
    headAt: r.updated_at.toISOString(),
  };
}

export function anchorFile(dataDir: string, head: Pick<AnchorHead, "anchorId" | "database">): string {
  return path.join(dataDir, "audit-anchor", `${head.database.replace(/[^A-Za-z0-9_-]/g, "_")}-${head.anchorId}.json`);
}

async function readExported(file: string): Promise<ExportedAnchor | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as ExportedAnchor;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Does the log still hold what the last export recorded? */
export async function checkExportedAnchor(db: Db, dataDir: string): Promise<AnchorCheck> {
  const current = await readAnchorHead(db);
  if (!current) {
    return { current, exported: null, file: null, problems: ["the audit_anchor row is missing: the chain's head was deleted"] };
  }
  const file = anchorFile(dataDir, current);
  const exported = await readExported(file);
  if (!exported) return { current, exported, file, problems: [] };
  const problems: string[] = [];
  const [entry] = await db.$queryRaw<{ hash: string }[]>`SELECT hash FROM audit_log WHERE id = ${BigInt(exported.lastId)}`;
  const [{ n } = { n: 0n }] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM audit_log`;
  const recorded = `the anchor exported at ${exported.exportedAt} (${file}) records ${exported.entries} entries ending at #${exported.lastId} (hash ${exported.lastHash.slice(0, 16)}…)`;
  // An anchor of the empty log (ROLLGATE_DEMO=off before anything happened) names no entry to look for.
  if (BigInt(exported.lastId) === 0n) {
    // Only the count below can tell.
  } else if (!entry) {
    problems.push(
      `entries were deleted from the end of the log: ${recorded}, but entry #${exported.lastId} is gone and the log now has ${n} entries`,
    );
  } else if (entry.hash !== exported.lastHash) {
    problems.push(`the log was rewritten: ${recorded}, but entry #${exported.lastId} now has hash ${entry.hash.slice(0, 16)}…`);
  }
  if (n < BigInt(exported.entries)) problems.push(`entries were deleted: ${recorded}, but the log has only ${n}`);
  return { current, exported, file, problems };
}

/**
 * Writes the current head to the data dir (mode 600), unless the log no longer contains the head
 * exported last: then the old file stays and the problems are returned.
 */
export async function exportAnchor(db: Db, dataDir: string, now = new Date()): Promise<AnchorCheck> {
  const check = await checkExportedAnchor(db, dataDir);
  if (check.problems.length || !check.current || !check.file) return check;
  const exported: ExportedAnchor = { ...check.current, exportedAt: now.toISOString() };
  await mkdir(path.dirname(check.file), { recursive: true, mode: 0o700 });
  // Written whole, then renamed over the old file: a crash leaves the old anchor or the new one.
  const tmp = `${check.file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(exported, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, check.file);
  return { ...check, exported };
}

const EXPORT_FAILED = { one: "audit anchor export failed", many: "audit anchor exports failed" };

/** Exports at start and then every `intervalMs`; a refused export is logged on every attempt. */
export function startAnchorExport(
  db: Db,
  dataDir: string,
  options: { intervalMs?: number; log: (m: string) => void },
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = exportAnchor(db, dataDir)
      .then((check) => {
        for (const p of check.problems) options.log(`AUDIT ANCHOR: ${p} (run npm run audit:verify)`);
      })
      .catch((err: unknown) =>
        logFailure(options.log, EXPORT_FAILED, err, `audit anchor export failed: ${err instanceof Error ? err.message : String(err)}`),
      );
  };
  pass();
  const timer = setInterval(pass, options.intervalMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
