import { fieldErrors, json, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { archiveFlags, archiveFlagsSchema } from "@/lib/flags/archive-flags";
import { AppError } from "@/lib/errors";
import * as flagRoute from "../[key]/route";

/**
 * Archives several flags with one reason (lib/flags/archive-flags.ts, as the dashboard's bulk archive):
 * all or nothing, one audit entry per flag. A body that names no flags, too many, or has no reason is
 * a 422 like a flag that cannot be archived: every refusal names its field.
 */
export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "flag.archive");
  const parsed = archiveFlagsSchema.safeParse(await readJson(req));
  if (!parsed.success)
    throw new AppError("UNPROCESSABLE", "Nothing archived: the request is invalid", { fields: fieldErrors(parsed.error) });
  return json(await archiveFlags(db, principal, parsed.data));
});

// This path shadows a flag named "archive" (a valid key): its own routes answer here as they would at
// /api/v1/flags/{key}.
const archiveFlagParams = { params: Promise.resolve({ key: "archive" }) };
export const GET = (req: Request) => flagRoute.GET(req, archiveFlagParams);
export const PATCH = (req: Request) => flagRoute.PATCH(req, archiveFlagParams);
export const DELETE = (req: Request) => flagRoute.DELETE(req, archiveFlagParams);
