import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { setGuardrailsSchema } from "@/lib/guardrails/guardrail-schemas";
import { getComparison, listGuardrails, setGuardrails } from "@/lib/guardrails/guardrails";
import { requirePermission } from "@/lib/auth/permissions";

export const GET = route<{ key: string; env: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  const target = { flagKey: params.key, environment: params.env };
  return json({ guardrails: await listGuardrails(db, principal, target), comparison: await getComparison(db, principal, target) });
});

/** Replaces the set: `{ guardrails: [{ metric, threshold, windowSeconds?, minSamples?, action }], dryRun? }`. */
export const PUT = route<{ key: string; env: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "guardrails.update");
  const input = parseWith(setGuardrailsSchema, await readJson(req));
  return json({ guardrails: await setGuardrails(db, principal, { flagKey: params.key, environment: params.env }, input) });
});
