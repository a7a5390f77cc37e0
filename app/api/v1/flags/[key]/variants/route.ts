import { json, parseWith, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { getVariantComparison } from "@/lib/metrics/get-variant-comparison";
import { variantQuerySchema } from "@/lib/metrics/variant-schemas";

/** A multivariate flag's variants, each against a control variant (any signed-in user). */
export const GET = route<{ key: string }>(async ({ req, db, principal, params }) => {
  requireUser(principal);
  const query = parseWith(variantQuerySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await getVariantComparison(db, params.key, query));
});
