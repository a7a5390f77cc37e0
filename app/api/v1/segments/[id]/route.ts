import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/permissions";
import { deleteSegment } from "@/lib/segments/delete-segment";
import { getSegment } from "@/lib/segments/get-segment";
import { updateSegmentSchema } from "@/lib/segments/segment-schemas";
import { updateSegment } from "@/lib/segments/update-segment";

export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await getSegment(db, params.id));
});

export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "segment.manage");
  const input = parseWith(updateSegmentSchema, await readJson(req));
  return json(await updateSegment(db, principal, params.id, input));
});

/** Refused (409, naming them) while any flag state uses the segment. */
export const DELETE = route<{ id: string }>(async ({ db, principal, params }) => {
  await deleteSegment(db, principal, params.id);
  return new Response(null, { status: 204 });
});
