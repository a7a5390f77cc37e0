import { z } from "zod";
import { json, parseWith, route } from "@/lib/api/http";
import { listAudit } from "@/lib/audit/list-audit";
import { requireUser } from "@/lib/auth/principal";
import { plainText } from "@/lib/validation/text";
import { pageLimit } from "@/lib/validation/page-limit";

const querySchema = z.strictObject({
  limit: pageLimit(500, 50),
  before: z
    .string()
    .regex(/^\d{1,18}$/, "must be an entry id")
    .transform(BigInt)
    .optional(),
  target: plainText({ max: 200 }).optional(),
  actor: plainText({ max: 200 }).optional(),
  action: plainText({ max: 100 }).optional(),
});

export const GET = route(async ({ req, db, principal }) => {
  requireUser(principal);
  const query = parseWith(querySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listAudit(db, principal, query));
});
