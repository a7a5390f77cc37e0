import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/permissions";
import { createSegment } from "@/lib/segments/create-segment";
import { listSegments } from "@/lib/segments/list-segments";
import { createSegmentSchema } from "@/lib/segments/segment-schemas";

export const GET = route(async ({ db, principal }) => {
  requireUser(principal);
  return json({ segments: await listSegments(db) });
});

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "segment.manage");
  const input = parseWith(createSegmentSchema, await readJson(req));
  return json(await createSegment(db, principal, input), 201);
});
