import { json, parseWith, readJson, route } from "@/lib/api/http";
import { importUnleash, importUnleashSchema } from "@/lib/flags/import-unleash";
import { MAX_UNLEASH_EXPORT_BYTES } from "@/lib/domain/unleash-import";

/** Imports an Unleash export (admins): a dry run by default; `dryRun: false` applies it atomically. */
export const POST = route(async ({ req, db, principal }) => {
  const input = parseWith(importUnleashSchema, await readJson(req, MAX_UNLEASH_EXPORT_BYTES));
  return json(await importUnleash(db, principal, input));
});
