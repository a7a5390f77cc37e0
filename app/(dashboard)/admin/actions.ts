"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { createUser } from "@/lib/users/create-user";
import { updateUser } from "@/lib/users/update-user";
import { createUserSchema, updateUserSchema } from "@/lib/users/user-schemas";
import { createApiToken } from "@/lib/tokens/create-api-token";
import { revokeApiToken } from "@/lib/tokens/revoke-api-token";
import { createApiTokenSchema } from "@/lib/tokens/token-schemas";
import { createEnvironment, createEnvironmentSchema } from "@/lib/environments/create-environment";
import { currentUser } from "../../_server/session";

export interface AdminFormState {
  status: "idle" | "ok" | "invalid" | "error";
  message?: string;
  fields?: Record<string, string>;
  token?: string;
}

function failure(err: unknown): AdminFormState {
  if (err instanceof AppError) {
    return { status: err.details.fields ? "invalid" : "error", message: err.message, fields: err.details.fields };
  }
  throw err;
}

export async function createUserAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const parsed = createUserSchema.safeParse({
    email: form.get("email"),
    name: form.get("name"),
    roles: form.getAll("roles"),
    password: form.get("password"),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const user = await createUser(getDb(), await currentUser(), parsed.data);
    revalidatePath("/admin");
    return { status: "ok", message: `Created ${user.email}` };
  } catch (err) {
    return failure(err);
  }
}

export async function updateUserAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const parsed = updateUserSchema.safeParse({
    userId: form.get("userId"),
    roles: form.getAll("roles"),
    disabled: form.get("disabled") === "on",
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await updateUser(getDb(), await currentUser(), parsed.data);
    revalidatePath("/admin");
    return { status: "ok", message: "Saved" };
  } catch (err) {
    return failure(err);
  }
}

export async function createTokenAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const target = String(form.get("target") ?? "");
  const [kind, ref] = [target.split(":")[0], target.split(":").slice(1).join(":")];
  const raw = kind === "sdk" ? { kind, name: form.get("name"), environment: ref } : { kind, name: form.get("name"), userId: ref };
  const parsed = createApiTokenSchema.safeParse(raw);
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const { token } = await createApiToken(getDb(), await currentUser(), parsed.data);
    revalidatePath("/admin");
    return { status: "ok", token };
  } catch (err) {
    return failure(err);
  }
}

export async function revokeTokenAction(form: FormData): Promise<void> {
  const tokenId = z.string().uuid().safeParse(form.get("tokenId"));
  if (!tokenId.success) return;
  await revokeApiToken(getDb(), await currentUser(), tokenId.data);
  revalidatePath("/admin");
}

export async function createEnvironmentAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const parsed = createEnvironmentSchema.safeParse({ key: form.get("key"), name: form.get("name") });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const env = await createEnvironment(getDb(), await currentUser(), parsed.data);
    revalidatePath("/admin");
    revalidatePath("/flags");
    return { status: "ok", message: `Created ${env.key}: every flag starts disabled there` };
  } catch (err) {
    return failure(err);
  }
}
