import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { compatibleUdts, readPrismaModels } from "../support/prisma-schema";

const models = readPrismaModels(path.resolve("prisma/schema.prisma"));
let columns: Map<string, { udt: string; nullable: boolean; hasDefault: boolean; identity: boolean }>;

const t = setUpTestDatabase();
beforeAll(async () => {
  const rows = await t.sql(
    // Partitions (the raw events' daily tables) share their parent's model.
    `SELECT table_name, column_name, udt_name, is_nullable, column_default, is_identity
       FROM information_schema.columns c
       WHERE table_schema = 'public'
         AND NOT EXISTS (SELECT 1 FROM pg_class p WHERE p.oid = format('public.%I', c.table_name)::regclass AND p.relispartition)`,
  );
  columns = new Map(
    rows.rows.map((r) => [
      `${r.table_name}.${r.column_name}`,
      { udt: r.udt_name, nullable: r.is_nullable === "YES", hasDefault: r.column_default !== null, identity: r.is_identity === "YES" },
    ]),
  );
});

describe("prisma/schema.prisma matches the migrated database", () => {
  it("reads a non-trivial schema", () => {
    expect(models.length).toBeGreaterThanOrEqual(15);
  });

  it.each(models.flatMap((m) => m.fields.map((f) => [`${m.name}.${f.name}`, m, f] as const)))(
    "%s exists with a compatible type and nullability",
    (_label, model, field) => {
      const column = columns.get(`${model.table}.${field.column}`);
      expect(column, `column ${model.table}.${field.column} is missing`).toBeDefined();
      expect(compatibleUdts(field)).toContain(column!.udt);
      expect(column!.nullable, `nullability of ${model.table}.${field.column}`).toBe(field.optional);
    },
  );

  it("every table has a model, and columns the model omits can be left out on insert", () => {
    const modelled = new Map(models.map((m) => [m.table, new Set(m.fields.map((f) => f.column))]));
    const problems: string[] = [];
    for (const [key, col] of columns) {
      const [table = "", column = ""] = key.split(".");
      if (table === "schema_migrations") continue;
      const fields = modelled.get(table);
      if (!fields) problems.push(`table ${table} has no Prisma model`);
      else if (!fields.has(column) && !col.nullable && !col.hasDefault && !col.identity) {
        problems.push(`${key} is NOT NULL without default but missing from the model`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });
});
