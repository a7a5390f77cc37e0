import { json, parseWith, readJson, route } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { requirePermission } from "@/lib/auth/permissions";
import { importUnleash, importUnleashSchema } from "@/lib/flags/import-unleash";
import { MAX_UNLEASH_EXPORT_BYTES } from "@/lib/domain/unleash-import";

/**
 * Imports an Unleash export (admins): a dry run by default; `dryRun: false` applies it atomically.
 * An export over the limit is a bad file like any other (400 naming the limit), still refused before
 * the rest of it is read.
 */
export const POST = route(async ({ req, db, principal }) => {
  // Authorise before reading up to 10 MB: a caller without the role is refused without it.
  requirePermission(principal, "flag.import");
  const body = await readJson(req, MAX_UNLEASH_EXPORT_BYTES).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "PAYLOAD_TOO_LARGE") {
      const limit = `the export is larger than ${MAX_UNLEASH_EXPORT_BYTES / 1_000_000} MB (at most ${MAX_UNLEASH_EXPORT_BYTES} bytes)`;
      throw new AppError("VALIDATION_FAILED", `The ${limit}`, { fields: { body: limit } });
    }
    throw err;
  });
  return json(await importUnleash(db, principal, parseWith(importUnleashSchema, body)));
});
