import { z } from "zod";
import { json, parseWith, readJson, route } from "@/lib/api/http";
import { createRollout } from "@/lib/rollouts/create-rollout";
import { decodeRolloutCursor, DEFAULT_LIST_LIMIT, listRolloutPage, MAX_LIST_LIMIT } from "@/lib/rollouts/list-rollouts";
import { createRolloutSchema } from "@/lib/rollouts/rollout-schemas";
import { FLAG_KEY_PATTERN } from "@/lib/flags/flag-schemas";
import { pageQuery } from "@/lib/validation/page-query";
import { requirePermission } from "@/lib/auth/permissions";

const querySchema = pageQuery(decodeRolloutCursor, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT).extend({
  flagKey: z.string().regex(FLAG_KEY_PATTERN, "not a flag key").optional(),
  status: z.enum(["live", "all"], { error: "live or all" }).default("live"),
});

export const GET = route(async ({ req, db, principal }) => {
  const query = parseWith(querySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(
    await listRolloutPage(db, principal, { flagKey: query.flagKey, all: query.status === "all", limit: query.limit, after: query.cursor }),
  );
});

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "rollout.create");
  const input = parseWith(createRolloutSchema, await readJson(req));
  return json(await createRollout(db, principal, input), 201);
});
