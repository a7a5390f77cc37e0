import { readFileSync } from "node:fs";

export interface PrismaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  nativeType?: string;
}
export interface PrismaModel {
  name: string;
  table: string;
  fields: PrismaField[];
}

const SCALARS = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Float", "Decimal", "Json", "Bytes"]);

/** A deliberately small reader of schema.prisma: models, scalar fields, @map/@@map and @db types. */
export function readPrismaModels(file: string): PrismaModel[] {
  const text = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
  const models: PrismaModel[] = [];
  for (const match of text.matchAll(/model\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
    const [, name = "", body = ""] = match;
    const table = body.match(/@@map\("([^"]+)"\)/)?.[1] ?? name;
    const fields: PrismaField[] = [];
    for (const line of body.split("\n").map((l) => l.trim())) {
      const m = line.match(/^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/);
      if (!m || line.startsWith("@@")) continue;
      const [, fieldName = "", type = "", list, optional, attrs = ""] = m;
      if (!SCALARS.has(type)) continue; // relation fields have no column
      fields.push({
        name: fieldName,
        column: attrs.match(/@map\("([^"]+)"\)/)?.[1] ?? fieldName,
        type,
        list: !!list,
        optional: !!optional,
        nativeType: attrs.match(/@db\.(\w+)/)?.[1],
      });
    }
    models.push({ name, table, fields });
  }
  return models;
}

/** Postgres udt names (information_schema.columns.udt_name, arrays prefixed with '_') a Prisma type can map to. */
export function compatibleUdts(field: PrismaField): string[] {
  const base: Record<string, string[]> = {
    String: field.nativeType === "Uuid" ? ["uuid"] : ["text", "varchar", "bpchar", "citext"],
    Int: ["int4", "int2"],
    BigInt: ["int8"],
    Boolean: ["bool"],
    DateTime: field.nativeType === "Timestamptz" ? ["timestamptz"] : ["timestamp", "timestamptz", "date"],
    Float: ["float8", "float4"],
    Decimal: ["numeric"],
    Json: ["jsonb", "json"],
    Bytes: ["bytea"],
  };
  const udts = base[field.type] ?? [];
  return field.list ? udts.map((u) => `_${u}`) : udts;
}
