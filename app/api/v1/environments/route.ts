import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createEnvironment, createEnvironmentSchema } from "@/lib/environments/create-environment";
import { listEnvironments } from "@/lib/environments/list-environments";

export const GET = route(async ({ db, principal }) => json({ environments: await listEnvironments(db, principal) }));

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "environment.create");
  const input = parseWith(createEnvironmentSchema, await readJson(req));
  return json(await createEnvironment(db, principal, input), 201);
});
