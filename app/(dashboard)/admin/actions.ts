"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { isInvalidInputError } from "@/lib/db/db-errors";
import { createUser } from "@/lib/users/create-user";
import { updateUser } from "@/lib/users/update-user";
import { createUserSchema, updateUserSchema } from "@/lib/users/user-schemas";
import { createApiToken } from "@/lib/tokens/create-api-token";
import { revokeApiToken } from "@/lib/tokens/revoke-api-token";
import { untilServedHere } from "@/lib/evaluation/served-here";
import { createApiTokenSchema } from "@/lib/tokens/token-schemas";
import { createEnvironment, createEnvironmentSchema } from "@/lib/environments/create-environment";
import { createWebhook } from "@/lib/notifications/create-webhook";
import { deleteWebhook } from "@/lib/notifications/delete-webhook";
import { sendTestWebhook } from "@/lib/notifications/send-test-webhook";
import { setWebhookEnabled } from "@/lib/notifications/set-webhook-enabled";
import { createWebhookSchema, webhookIdSchema } from "@/lib/notifications/webhook-schemas";
import { currentUser } from "../../_request/session";
import { setDemoSpike } from "@/lib/demo/set-demo-spike";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";

export interface AdminFormState {
  status: "idle" | "ok" | "invalid" | "error";
  message?: string;
  fields?: Record<string, string>;
  token?: string;
  /** What was typed, so a refused form keeps it (React resets a form after its action). */
  values?: Record<string, string>;
}

const unreadable: AdminFormState = { status: "invalid", message: UNREADABLE_FORM };

function failure(err: unknown): AdminFormState {
  if (err instanceof AppError) {
    return { status: err.details.fields ? "invalid" : "error", message: err.message, fields: err.details.fields };
  }
  // A value the database cannot store that slipped past validation is still the form's fault.
  if (isInvalidInputError(err)) return { status: "invalid", message: "The form contains a value that cannot be stored" };
  throw err;
}

export async function createUserAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
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
  if (!isForm(form)) return unreadable;
  const parsed = updateUserSchema.safeParse({
    userId: form.get("userId"),
    roles: form.getAll("roles"),
    disabled: form.get("disabled") === "on",
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await updateUser(getDb(), await currentUser(), parsed.data);
    // Saved once this instance refuses what the change ended (a disabled user's sessions, a dropped role).
    await untilServedHere();
    revalidatePath("/admin");
    return { status: "ok", message: "Saved" };
  } catch (err) {
    return failure(err);
  }
}

export async function createTokenAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
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

export async function revokeTokenAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const tokenId = z.string().uuid().safeParse(form.get("tokenId"));
  if (!tokenId.success) return { status: "invalid", message: "Choose a token to revoke" };
  try {
    await revokeApiToken(getDb(), await currentUser(), tokenId.data);
    // "Revoked" once this instance refuses the token (lib/evaluation/served-here.ts).
    await untilServedHere();
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/admin");
  return { status: "ok", message: "Revoked" };
}

export async function createEnvironmentAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
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

export async function createWebhookAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const raw = { environment: form.get("environment"), name: form.get("name"), url: form.get("url") };
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v.slice(0, 2_000) : ""]));
  const parsed = createWebhookSchema.safeParse(raw);
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error), values };
  try {
    await createWebhook(getDb(), await currentUser(), parsed.data);
    revalidatePath("/admin");
    return { status: "ok", message: `Added ${parsed.data.name}: it receives ${parsed.data.environment} rollout notifications` };
  } catch (err) {
    return { ...failure(err), values };
  }
}

const webhookToggle = z.strictObject({ webhookId: webhookIdSchema, enabled: z.enum(["true", "false"]) });

export async function setWebhookEnabledAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const parsed = webhookToggle.safeParse({ webhookId: form.get("webhookId"), enabled: form.get("enabled") });
  if (!parsed.success) return { status: "invalid", message: "Choose a webhook to turn on or off" };
  try {
    await setWebhookEnabled(getDb(), await currentUser(), { webhookId: parsed.data.webhookId, enabled: parsed.data.enabled === "true" });
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/admin");
  return { status: "ok", message: parsed.data.enabled === "true" ? "Enabled" : "Disabled" };
}

export async function sendTestWebhookAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const webhookId = webhookIdSchema.safeParse(form.get("webhookId"));
  if (!webhookId.success) return { status: "invalid", message: "Choose a webhook to test" };
  try {
    await sendTestWebhook(getDb(), await currentUser(), webhookId.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/admin");
  return { status: "ok", message: "Test queued: see Recent deliveries" };
}

export async function deleteWebhookAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const webhookId = webhookIdSchema.safeParse(form.get("webhookId"));
  if (!webhookId.success) return { status: "invalid", message: "Choose a webhook to delete" };
  try {
    await deleteWebhook(getDb(), await currentUser(), webhookId.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/admin");
  return { status: "ok", message: "Deleted" };
}

export async function demoSpikeAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  if (!isForm(form)) return unreadable;
  const mode = z.enum(["on", "both", "stop"]).safeParse(form.get("mode"));
  if (!mode.success) return { status: "invalid", message: "Choose on, both or stop" };
  try {
    return { status: "ok", message: await setDemoSpike(getDb(), await currentUser(), mode.data) };
  } catch (err) {
    return failure(err);
  }
}
