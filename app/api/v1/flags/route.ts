import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { createFlag } from "@/lib/flags/create-flag";
import { createFlagSchema } from "@/lib/flags/flag-schemas";
import { flagListQuerySchema } from "@/lib/flags/flag-list-query";
import { listFlagPage } from "@/lib/flags/list-flag-page";
import { requirePermission } from "@/lib/auth/permissions";

export const GET = route(async ({ req, db, principal }) => {
  requireUser(principal);
  const query = parseWith(flagListQuerySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listFlagPage(db, query));
});

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "flag.create");
  const input = parseWith(createFlagSchema, await readJson(req));
  return json(await createFlag(db, principal, input), 201);
});
