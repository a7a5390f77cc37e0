import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/permissions";
import { archiveFlag } from "@/lib/flags/archive-flag";
import { archiveFlagSchema, updateFlagSchema } from "@/lib/flags/flag-schemas";
import { getFlag } from "@/lib/flags/get-flag";
import { updateFlag } from "@/lib/flags/update-flag";

export const GET = route<{ key: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await getFlag(db, params.key));
});

export const PATCH = route<{ key: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "flag.update");
  const input = parseWith(updateFlagSchema, await readJson(req));
  return json(await updateFlag(db, principal, params.key, input));
});

/** Archives the flag (see lib/flags/archive-flag.ts); the body carries the reason for the audit log. */
export const DELETE = route<{ key: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "flag.archive");
  const input = parseWith(archiveFlagSchema, await readJson(req));
  await archiveFlag(db, principal, params.key, input);
  return new Response(null, { status: 204 });
});
