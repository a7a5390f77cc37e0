import { z } from "zod";
import { plainText } from "../validation/text";
import { instant } from "../validation/time";

/** Longest range one contributions read or one purge covers: each stays one bounded statement. */
export const MAX_CONTRIBUTION_RANGE_MS = 31 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

const epochMs = (t: string | number) => (typeof t === "number" ? t : Date.parse(t));

/** `from` before `to` and at most MAX_CONTRIBUTION_RANGE_MS apart; reported on `to`. */
function checkRange(r: { from: string | number; to: string | number }, ctx: z.RefinementCtx) {
  const span = epochMs(r.to) - epochMs(r.from);
  if (span <= 0) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  else if (span > MAX_CONTRIBUTION_RANGE_MS) ctx.addIssue({ code: "custom", path: ["to"], message: "must be at most 31 days after from" });
}

const isoTime = z.string({ error: "must be an ISO 8601 time" }).datetime({ offset: true, error: "must be an ISO 8601 time" });

/** `GET /api/v1/metrics/contributions` query parameters, as strings from the URL. */
export const contributionsQuerySchema = z
  .strictObject({
    flag: plainText({ min: 1, max: 100, typeMessage: "flag must be text" }),
    environment: plainText({ min: 1, max: 100, typeMessage: "environment must be text" }).optional().default("production"),
    from: isoTime.optional(),
    to: isoTime.optional(),
  })
  .transform((q, ctx) => {
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date(epochMs(to) - DAY_MS).toISOString();
    checkRange({ from, to }, ctx);
    return { flag: q.flag, environment: q.environment, from: new Date(from), to: new Date(to) };
  });
export type ContributionsQuery = z.output<typeof contributionsQuerySchema>;

/** `POST /api/v1/metrics/purge`. */
export const purgeSchema = z
  .strictObject({
    tokenId: z.uuid({ error: "must be the id of an SDK token" }),
    from: instant(),
    to: instant(),
    /** Only this flag's reports (its key); all flags when absent. */
    flag: plainText({ min: 1, max: 100, typeMessage: "flag must be text" }).optional(),
    reason: plainText({ min: 1, max: 500, typeMessage: "reason must be text", minMessage: "say why the reports are purged" }),
  })
  .superRefine(checkRange)
  .transform((p) => ({ ...p, from: new Date(epochMs(p.from)), to: new Date(epochMs(p.to)) }));
export type PurgeInput = z.output<typeof purgeSchema>;
