import { z } from "zod";
import { json, parseWith, route } from "@/lib/api/http";
import { listIncidents } from "@/lib/incidents/incident-view";

const querySchema = z.strictObject({ status: z.enum(["open", "all"], { error: "open or all" }).default("open") });

export const GET = route(async ({ req, db, principal }) => {
  const query = parseWith(querySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json({ incidents: await listIncidents(db, principal, query) });
});
