import { json, parseWith, readJson, route } from "@/lib/api/http";
import { importUnleash, importUnleashSchema } from "@/lib/flags/import-unleash";

/** Imports an Unleash export (admins): a dry run by default; `dryRun: false` applies it atomically. */
export const POST = route(async ({ req, db, principal }) => {
  const input = parseWith(importUnleashSchema, await readJson(req, 10_000_000));
  return json(await importUnleash(db, principal, input));
});
