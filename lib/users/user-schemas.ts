import { z } from "zod";
import { ROLES } from "../auth/roles";

const rolesSchema = z
  .array(z.enum(ROLES, { error: `roles are ${ROLES.join(", ")}` }))
  .min(1, "choose at least one role")
  .transform((r) => [...new Set(r)]);

export const createUserSchema = z.strictObject({
  email: z.string().trim().toLowerCase().email("enter a valid email").max(200),
  name: z.string().trim().min(1, "enter a name").max(120, "at most 120 characters"),
  roles: rolesSchema,
  password: z.string().min(8, "at least 8 characters").max(200),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z.strictObject({
  userId: z.string().uuid(),
  roles: rolesSchema,
  disabled: z.boolean(),
});
export type UpdateUserInput = z.infer<typeof updateUserSchema>;
