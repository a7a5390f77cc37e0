import { z } from "zod";
import { plainText, secretText } from "../validation/text";
import { ROLES } from "../auth/roles";

const rolesSchema = z
  .array(z.enum(ROLES, { error: `roles are ${ROLES.join(", ")}` }))
  .min(1, "choose at least one role")
  .transform((r) => [...new Set(r)]);

export const createUserSchema = z.strictObject({
  email: z.string().trim().toLowerCase().max(200, "at most 200 characters").email("enter a valid email"),
  name: plainText({ min: 1, max: 120, minMessage: "enter a name" }),
  roles: rolesSchema,
  password: secretText({ min: 8, max: 200 }),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z.strictObject({
  userId: z.string().uuid(),
  roles: rolesSchema,
  disabled: z.boolean(),
});
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

/** `PATCH /api/v1/users/{id}`: what changes, the rest kept as it is when the change is made. */
export const patchUserSchema = z
  .strictObject({ roles: rolesSchema.optional(), disabled: z.boolean({ error: "true or false" }).optional() })
  .refine((v) => v.roles !== undefined || v.disabled !== undefined, { message: "send roles, disabled or both", path: ["roles"] });
export type PatchUserInput = z.infer<typeof patchUserSchema>;
