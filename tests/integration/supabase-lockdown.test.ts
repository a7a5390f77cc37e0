// Supabase's Data API acts as `anon` or `authenticated`. Whatever migrations add to the schema, those
// roles must not reach it: this enumerates the catalog, so a table added later without the same
// protection fails here. Privileges are checked twice: in the catalog and by real statements.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { adminQuery, createTestDatabase } from "../support/test-database";

const API_ROLES = ["anon", "authenticated"] as const;
const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];

interface CatalogObject {
  oid: number;
  name: string; // schema-qualified and quoted, ready for SQL
  kind: "table" | "view" | "matview" | "sequence" | "foreign table" | "function";
  rls?: boolean;
  args?: string[]; // functions: argument types
  securityDefiner?: boolean;
  config?: string[] | null;
  isTrigger?: boolean;
}

const RELKINDS: Record<string, CatalogObject["kind"]> = {
  r: "table",
  p: "table",
  v: "view",
  m: "matview",
  S: "sequence",
  f: "foreign table",
};

async function catalog(client: pg.ClientBase): Promise<CatalogObject[]> {
  const rels = await client.query<{ oid: number; name: string; relkind: string; rls: boolean }>(
    `SELECT c.oid, c.oid::regclass::text AS name, c.relkind, c.relrowsecurity AS rls
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r','p','v','m','S','f')`,
  );
  const funcs = await client.query<{ oid: number; name: string; args: string[]; secdef: boolean; config: string[] | null; trig: boolean }>(
    `SELECT p.oid, p.oid::regprocedure::text AS name, p.prosecdef AS secdef, p.proconfig AS config,
            p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) AS trig,
            ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t) AS args
       FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`,
  );
  return [
    ...rels.rows.map((r) => ({ oid: r.oid, name: r.name, kind: RELKINDS[r.relkind]!, rls: r.rls })),
    ...funcs.rows.map((f) => ({
      oid: f.oid,
      name: f.name,
      kind: "function" as const,
      args: f.args,
      securityDefiner: f.secdef,
      config: f.config,
      isTrigger: f.trig,
    })),
  ];
}

/** Every way `role` can reach an object, from the catalog's point of view. Empty when locked down. */
async function catalogExposures(client: pg.ClientBase, objects: CatalogObject[], role: string): Promise<string[]> {
  const found: string[] = [];
  for (const o of objects) {
    if (o.kind === "function") {
      const { rows } = await client.query("SELECT has_function_privilege($1, $2::oid, 'EXECUTE') AS ok", [role, o.oid]);
      if (rows[0].ok) found.push(`${role} may EXECUTE ${o.name}`);
      if (o.securityDefiner && !o.config?.some((c) => c.startsWith("search_path=")))
        found.push(`${o.name} is SECURITY DEFINER without a pinned search_path`);
      continue;
    }
    if (o.kind === "sequence") {
      for (const p of ["USAGE", "SELECT", "UPDATE"]) {
        const { rows } = await client.query("SELECT has_sequence_privilege($1, $2::oid, $3) AS ok", [role, o.oid, p]);
        if (rows[0].ok) found.push(`${role} has ${p} on sequence ${o.name}`);
      }
      continue;
    }
    for (const p of TABLE_PRIVILEGES) {
      const { rows } = await client.query("SELECT has_table_privilege($1, $2::oid, $3) AS ok", [role, o.oid, p]);
      if (rows[0].ok) found.push(`${role} has ${p} on ${o.kind} ${o.name}`);
    }
    if (o.kind === "table") {
      if (!o.rls) found.push(`row-level security is off on ${o.name}`);
      const { rows } = await client.query(
        `SELECT polname FROM pg_policy WHERE polrelid = $1::oid AND polpermissive
            AND (polroles @> ARRAY[0::oid] OR polroles && ARRAY(SELECT oid FROM pg_roles WHERE rolname = $2))`,
        [o.oid, role],
      );
      for (const r of rows) found.push(`permissive policy ${r.polname} on ${o.name} applies to ${role}`);
    }
  }
  return found;
}

/**
 * Runs each statement as `role` on a connection that logged in like PostgREST's authenticator (a
 * login role that may only SET ROLE), each in a savepoint, and reports those not refused with 42501.
 */
async function attemptsNotRefused(client: pg.ClientBase, objects: CatalogObject[], role: string): Promise<string[]> {
  const statements: string[] = [];
  for (const o of objects) {
    if (o.kind === "function") {
      const nulls = (o.args ?? []).map((t) => `NULL::${t}`).join(", ");
      statements.push(`SELECT ${o.name.replace(/\(.*\)$/, "")}(${nulls})`);
    } else if (o.kind === "sequence") {
      statements.push(`SELECT nextval('${o.name}'::regclass)`, `SELECT last_value FROM ${o.name}`);
    } else {
      statements.push(
        `SELECT * FROM ${o.name} LIMIT 1`,
        `INSERT INTO ${o.name} DEFAULT VALUES`,
        `DELETE FROM ${o.name}`,
        // UPDATE needs a column; any column will do, the privilege check comes first.
        `UPDATE ${o.name} SET ${await firstColumn(client, o.oid)} = ${await firstColumn(client, o.oid)}`,
      );
    }
  }
  const notRefused: string[] = [];
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL ROLE ${role}`);
    for (const sql of statements) {
      await client.query("SAVEPOINT attempt");
      try {
        await client.query(sql);
        notRefused.push(`${role}: ${sql} succeeded`);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== "42501") notRefused.push(`${role}: ${sql} failed with ${code} (${(err as Error).message}), not a permission error`);
      }
      await client.query("ROLLBACK TO SAVEPOINT attempt");
    }
  } finally {
    await client.query("ROLLBACK");
  }
  return notRefused;
}

const columns = new Map<number, string>();
async function firstColumn(client: pg.ClientBase, oid: number): Promise<string> {
  if (!columns.has(oid)) {
    const { rows } = await client.query(
      "SELECT quote_ident(attname) AS name FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped AND attidentity <> 'a' AND attgenerated = '' ORDER BY attnum LIMIT 1",
      [oid],
    );
    columns.set(oid, rows[0].name);
  }
  return columns.get(oid)!;
}

let owner: pg.Client;
let authenticator: pg.Client;
const probeRole = `rg_authenticator_${randomBytes(4).toString("hex")}`;
const probePassword = randomBytes(12).toString("hex");

const t = setUpTestDatabase();
beforeAll(async () => {
  owner = new pg.Client({ connectionString: t.url });
  await owner.connect();
  // Like Supabase's `authenticator`: logs in with no privileges of its own and switches to an API role.
  await adminQuery(`CREATE ROLE ${probeRole} LOGIN NOINHERIT PASSWORD '${probePassword}'`);
  await adminQuery(`GRANT anon, authenticated TO ${probeRole}`);
  const url = new URL(t.url);
  url.username = probeRole;
  url.password = probePassword;
  authenticator = new pg.Client({ connectionString: url.toString() });
  await authenticator.connect();
});
afterAll(async () => {
  await authenticator?.end();
  await owner?.end();
  await adminQuery(`DROP ROLE IF EXISTS ${probeRole}`);
});

describe("the schema as Supabase's Data API roles see it", () => {
  it("the migrations create anon, authenticated and service_role without login", async () => {
    const { rows } = await owner.query(
      "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('anon','authenticated','service_role') ORDER BY rolname",
    );
    expect(rows).toEqual([
      { rolname: "anon", rolcanlogin: false },
      { rolname: "authenticated", rolcanlogin: false },
      { rolname: "service_role", rolcanlogin: false },
    ]);
  });

  it("every table, view, sequence and function is out of reach of anon and authenticated", async () => {
    const objects = await catalog(owner);
    // The enumeration itself must see the schema, or the test proves nothing.
    expect(objects.filter((o) => o.kind === "table").map((o) => o.name)).toEqual(
      expect.arrayContaining(["users", "sessions", "audit_log", "flags"]),
    );
    expect(objects.some((o) => o.kind === "sequence")).toBe(true);
    expect(objects.filter((o) => o.kind === "function").length).toBeGreaterThan(5);

    for (const role of API_ROLES) {
      expect(await catalogExposures(owner, objects, role)).toEqual([]);
      expect(await attemptsNotRefused(authenticator, objects, role)).toEqual([]);
    }
  });

  it("a table, view or function added without the protection is reported", async () => {
    const added = await createTestDatabase();
    const client = new pg.Client({ connectionString: added.url });
    await client.connect();
    try {
      // What a forgetful migration on Supabase would leave behind (the platform grants new objects to the API roles).
      await client.query("CREATE TABLE later_things (id int PRIMARY KEY, secret text)");
      await client.query("GRANT SELECT ON later_things TO anon");
      await client.query("CREATE VIEW later_view AS SELECT id FROM later_things");
      await client.query("GRANT SELECT ON later_view TO authenticated");
      await client.query("CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'");
      const objects = await catalog(client);
      const anon = await catalogExposures(client, objects, "anon");
      expect(anon).toEqual(
        expect.arrayContaining([
          "anon has SELECT on table later_things",
          "row-level security is off on later_things",
          "anon may EXECUTE later_fn()",
          "later_fn() is SECURITY DEFINER without a pinned search_path",
        ]),
      );
      expect(await catalogExposures(client, objects, "authenticated")).toEqual(
        expect.arrayContaining(["authenticated has SELECT on view later_view", "authenticated may EXECUTE later_fn()"]),
      );
      // The real attempt succeeds too: the checks can fail.
      expect(await attemptsNotRefused(client, objects, "anon")).toEqual(
        expect.arrayContaining(["anon: SELECT * FROM later_things LIMIT 1 succeeded", "anon: SELECT later_fn() succeeded"]),
      );

      // …and the one-line fix every such migration ends with closes it (views carry no RLS: the revoke is what protects them).
      await client.query("SELECT rollgate_lock_down()");
      const after = await catalog(client);
      expect(await catalogExposures(client, after, "anon")).toEqual(["later_fn() is SECURITY DEFINER without a pinned search_path"]);
      expect(await attemptsNotRefused(client, after, "anon")).toEqual([]);
    } finally {
      await client.end();
      await added.drop();
    }
  });
});
