import { json, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { getFlag } from "@/lib/flags/get-flag";

export const GET = route<{ key: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await getFlag(db, params.key));
});
