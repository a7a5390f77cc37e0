import { json, parseWith, route } from "@/lib/api/http";
import { contributionsQuerySchema } from "@/lib/metrics/contribution-schemas";
import { listContributions } from "@/lib/metrics/list-contributions";

export const GET = route(async ({ req, db, principal }) => {
  const query = parseWith(contributionsQuerySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listContributions(db, principal, query));
});
