import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { createFlag } from "@/lib/flags/create-flag";
import { createFlagSchema } from "@/lib/flags/flag-schemas";
import { listFlags } from "@/lib/flags/list-flags";
import { requirePermission } from "@/lib/auth/permissions";

export const GET = route(async ({ db, principal }) => {
  requireUser(principal);
  return json({ flags: await listFlags(db) });
});

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "flag.create");
  const input = parseWith(createFlagSchema, await readJson(req));
  return json(await createFlag(db, principal, input), 201);
});
