import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrateUp, migrationVersions, rollbackOne } from "../../lib/db/migrate";
import { createEmptyDatabase } from "../support/test-database";

/** Everything in `public` that a migration can create, in a stable textual form. */
type Snapshot = Record<"columns" | "constraints" | "indexes" | "triggers" | "functions" | "views" | "sequences", string[]>;

async function schemaSnapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // The events table's day partitions are named by date, for a window around today: a run that crosses
  // midnight UTC between two snapshots has the same partitions, one day on. Each is compared by shape.
  const q = async (sql: string) =>
    (await client.query(sql)).rows
      .map((r) =>
        Object.values(r)
          .join(" | ")
          .replace(/\bevents_p\d{8}/g, "events_p<day>"),
      )
      .sort();
  try {
    return {
      columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
                          FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`),
      constraints: await q(`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                              FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                               AND conrelid::regclass::text <> 'schema_migrations'`),
      indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
                          WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`),
      triggers: await q(`SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal`),
      functions: await q(`SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(pg_get_functiondef(p.oid))
                            FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`),
      views: await q(`SELECT table_name, md5(view_definition) FROM information_schema.views WHERE table_schema = 'public'`),
      sequences: await q(`SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'`),
    };
  } finally {
    await client.end();
  }
}

const migrationCount = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length;
let database: Awaited<ReturnType<typeof createEmptyDatabase>>;

beforeAll(async () => {
  database = await createEmptyDatabase();
});
afterAll(() => database?.drop());

describe("migrations", () => {
  it("go up, all the way down to nothing, and up again to an identical schema", async () => {
    await migrateUp(database.url);
    const first = await schemaSnapshot(database.url);
    expect(first.columns.length).toBeGreaterThan(50);
    expect(first.triggers.length).toBeGreaterThan(0);

    for (let i = 0; i < migrationCount; i++) await rollbackOne(database.url);
    const empty = await schemaSnapshot(database.url);
    expect(empty).toEqual({ columns: [], constraints: [], indexes: [], triggers: [], functions: [], views: [], sequences: [] });

    await migrateUp(database.url);
    expect(await schemaSnapshot(database.url)).toEqual(first);
  });

  it("run dbmate only when something is pending: every version it records is a file's, and an up-to-date database is left alone", async () => {
    const recorded = async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query<{ version: string }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
          (r) => r.version,
        );
      } finally {
        await client.end();
      }
    };
    // What start-up compares against is what dbmate wrote, so "nothing pending" means what it says.
    expect(await recorded()).toEqual(migrationVersions());
    expect(migrationVersions()).toHaveLength(migrationCount);
    // Up to date: no dbmate (whose output names the database it checked).
    expect(await migrateUp(database.url)).toBe("");
    // One pending: dbmate applies it and says so.
    await rollbackOne(database.url);
    expect(await recorded()).toEqual(migrationVersions().slice(0, -1));
    expect(await migrateUp(database.url)).toContain(migrationVersions().at(-1));
    expect(await recorded()).toEqual(migrationVersions());
  });

  it("create the staging and production environments", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query("SELECT key FROM environments ORDER BY sort_order");
    await client.end();
    expect(rows.map((r) => r.key)).toEqual(["staging", "production"]);
  });
});
