import { z } from "zod";
import { plainText } from "../validation/text";
import { constraintsSchema } from "../targeting/targeting-schemas";

const nameSchema = plainText({ min: 1, max: 100, typeMessage: "name must be text", minMessage: "name is required" });
const descriptionSchema = plainText({ max: 500, multiline: true, typeMessage: "description must be text" });
// A segment without constraints would match everyone: say so with a percentage instead.
const segmentConstraints = constraintsSchema.min(1, "add at least one constraint");

export const createSegmentSchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.optional().default(""),
  constraints: segmentConstraints,
});
export type CreateSegmentInput = z.infer<typeof createSegmentSchema>;

export const updateSegmentSchema = z
  .strictObject({
    version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
    name: nameSchema.optional(),
    description: descriptionSchema.optional(),
    constraints: segmentConstraints.optional(),
    /** Required when a live rollout's flag uses the segment: the change reaches its audience at once. */
    confirm: z.boolean({ error: "must be true or false" }).optional(),
    /**
     * With `confirm`: the live rollouts the confirmation named, by id (the dashboard always sends
     * them). One that started using the segment since is not confirmed unseen: 409 naming it.
     */
    confirmRollouts: z
      .array(z.uuid({ error: "must be rollout ids" }))
      .max(500)
      .optional(),
    reason: plainText({ max: 500, multiline: true, typeMessage: "reason must be text" }).optional(),
  })
  .refine((v) => v.name !== undefined || v.description !== undefined || v.constraints !== undefined, {
    message: "change at least one of name, description, constraints",
    path: ["name"],
  });
export type UpdateSegmentInput = z.infer<typeof updateSegmentSchema>;

/** `/segments/{id}`: a positive whole number, else it names no segment (404, never a database error). */
export function segmentIdParam(raw: string): number | null {
  if (!/^[1-9]\d{0,8}$/.test(raw)) return null;
  return Number(raw);
}
