"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { plainText } from "@/lib/validation/text";
import { parseJson } from "@/lib/validation/json";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { isInvalidInputError } from "@/lib/db/db-errors";
import { createFlag } from "@/lib/flags/create-flag";
import { archiveFlagSchema, createFlagSchema, updateFlagSchema, updateFlagStateSchema } from "@/lib/flags/flag-schemas";
import { archiveFlag } from "@/lib/flags/archive-flag";
import { archiveFlags, archiveFlagsSchema } from "@/lib/flags/archive-flags";
import { parseTagList } from "@/lib/flags/flag-catalog-schemas";
import { updateFlag } from "@/lib/flags/update-flag";
import { updateFlagState, type LastChange, type LiveRolloutRef } from "@/lib/flags/update-flag-state";
import { isGuardedEnvironment } from "@/lib/flags/environments";
import type { FlagDto, FlagStateDto } from "@/lib/flags/flag-dto";
import { currentUser } from "../../_request/session";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";

export interface FormState {
  status: "idle" | "saved" | "invalid" | "conflict" | "rollout" | "error";
  message?: string;
  fields?: Record<string, string>;
  current?: FlagStateDto;
  /** With "conflict": who made the change the edit collided with. */
  lastChange?: LastChange | null;
  /** With "rollout": the live rollout that refused a hand edit. */
  rollout?: LiveRolloutRef;
}

const unreadable: FormState = { status: "invalid", message: UNREADABLE_FORM };

function failure(err: unknown): FormState {
  if (err instanceof AppError) {
    if (err.code === "VERSION_CONFLICT") {
      const lastChange = (err.details.lastChange ?? null) as LastChange | null;
      return { status: "conflict", message: err.message, current: err.details.current as FlagStateDto, lastChange };
    }
    if (err.code === "CONFLICT" && err.details.rollout) {
      return { status: "rollout", message: err.message, rollout: err.details.rollout as LiveRolloutRef };
    }
    // Errors about a field go next to it; the rest (e.g. "a rollout is in progress") are shown as a message.
    if (err.details.fields) return { status: "invalid", message: err.message, fields: err.details.fields };
    return { status: "error", message: err.message };
  }
  // A value the database cannot store that slipped past validation is still the form's fault.
  if (isInvalidInputError(err)) return { status: "invalid", message: "The form contains a value that cannot be stored" };
  throw err;
}

export async function createFlagAction(_prev: FormState, form: FormData): Promise<FormState> {
  if (!isForm(form)) return unreadable;
  const parsed = createFlagSchema.safeParse({
    key: form.get("key"),
    description: form.get("description") ?? "",
    owner: String(form.get("owner") ?? ""),
    tags: parseTagList(String(form.get("tags") ?? "")),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await createFlag(getDb(), await currentUser(), parsed.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/flags");
  redirect(`/flags/${parsed.data.key}`);
}

const formSchema = z.object({
  flagKey: plainText({ min: 1, max: 100 }),
  environment: plainText({ min: 1, max: 40 }),
  version: z.coerce.number().int().min(1),
  enabled: z.enum(["on", "off"]).transform((v) => v === "on"),
  rolloutPercent: z
    .string()
    .trim()
    .min(1, "Enter a percentage from 0 to 100")
    .regex(/^\d+$/, "Enter a whole number from 0 to 100")
    .transform(Number),
  allowlist: z
    .string()
    .max(250_000, "too long")
    .transform((s) =>
      s
        .split(/[\n,]/)
        .map((x) => x.trim())
        .filter(Boolean),
    ),
});

export async function updateFlagStateAction(_prev: FormState, form: FormData): Promise<FormState> {
  if (!isForm(form)) return unreadable;
  const raw = formSchema.safeParse({
    flagKey: form.get("flagKey"),
    environment: form.get("environment"),
    version: form.get("version"),
    enabled: form.get("enabled") === "on" ? "on" : "off",
    rolloutPercent: form.get("rolloutPercent") ?? "",
    allowlist: form.get("allowlist") ?? "",
  });
  if (!raw.success) return { status: "invalid", fields: fieldErrors(raw.error) };
  const { flagKey, environment, ...change } = raw.data;
  // One reason field on the form: with "override" ticked it is the override's reason.
  const reason = String(form.get("reason") ?? "").trim();
  const override = form.get("override") === "on";
  if (override && !reason) return { status: "invalid", fields: { reason: "say why you override the rollout" } };
  const parsed = updateFlagStateSchema.safeParse({ ...change, ...(reason ? (override ? { override: { reason } } : { reason }) : {}) });
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    if (fields["override.reason"]) fields.reason ??= fields["override.reason"];
    return { status: "invalid", fields };
  }
  try {
    const state = await updateFlagState(getDb(), await currentUser(), { flagKey, environment }, parsed.data, {
      requireReason: isGuardedEnvironment(environment),
    });
    revalidatePath(`/flags/${flagKey}`);
    return { status: "saved", current: state, message: `Saved ${environment}: version ${state.version}` };
  } catch (err) {
    return failure(err);
  }
}

const targetingFormSchema = z.object({
  flagKey: plainText({ min: 1, max: 100 }),
  environment: plainText({ min: 1, max: 40 }),
});

/**
 * Saves one environment's targeting (the flag page's Targeting section): the strategies as JSON in
 * one hidden field (`null` clears it, back to the plain rollout), with the version the editor read.
 * Messages come keyed as the API names them (`targeting.strategies.0.constraints.1.value`).
 */
export async function updateTargetingAction(_prev: FormState, form: FormData): Promise<FormState> {
  if (!isForm(form)) return unreadable;
  const target = targetingFormSchema.safeParse({ flagKey: form.get("flagKey"), environment: form.get("environment") });
  if (!target.success) return { status: "invalid", fields: fieldErrors(target.error) };
  const raw = form.get("targeting");
  const json = typeof raw === "string" && raw.length <= 1_000_000 ? parseJson(raw) : null;
  if (!json?.ok) return { status: "invalid", message: "The targeting could not be read; reload the page and try again" };
  const reason = String(form.get("reason") ?? "").trim();
  const parsed = updateFlagStateSchema.safeParse({
    version: Number(form.get("version")),
    targeting: json.value,
    ...(reason ? { reason } : {}),
  });
  if (!parsed.success) return { status: "invalid", message: "Some fields need attention", fields: fieldErrors(parsed.error) };
  const { flagKey, environment } = target.data;
  try {
    const state = await updateFlagState(getDb(), await currentUser(), { flagKey, environment }, parsed.data, {
      requireReason: isGuardedEnvironment(environment),
    });
    revalidatePath(`/flags/${flagKey}`);
    return { status: "saved", current: state, message: `Saved the targeting of ${environment}: version ${state.version}` };
  } catch (err) {
    return failure(err);
  }
}

/** The settings form's state: with "saved" and "conflict", the flag as it is now (and, on a conflict, what was sent). */
export interface SettingsFormState {
  status: "idle" | "saved" | "invalid" | "conflict" | "error";
  message?: string;
  fields?: Record<string, string>;
  flag?: FlagDto;
  submitted?: Pick<FlagDto, "description" | "owner" | "tags" | "rawEventSamplePercent">;
}

export async function updateFlagSettingsAction(_prev: SettingsFormState, form: FormData): Promise<SettingsFormState> {
  if (!isForm(form)) return { status: "invalid", message: UNREADABLE_FORM };
  const key = String(form.get("flagKey") ?? "");
  const sampling = String(form.get("rawEventSamplePercent") ?? "").trim();
  const version = String(form.get("version") ?? "").trim();
  const parsed = updateFlagSchema.safeParse({
    description: form.get("description") ?? "",
    // Fields the form did not send stay as they are (older forms, other callers).
    ...(form.has("owner") ? { owner: String(form.get("owner")) } : {}),
    ...(form.has("tags") ? { tags: parseTagList(String(form.get("tags"))) } : {}),
    // Empty means "leave as is"; anything else must read as a number (the schema says what is wrong).
    ...(sampling === "" ? {} : { rawEventSamplePercent: /^\d+(\.\d+)?$/.test(sampling) ? Number(sampling) : sampling }),
    // The version of the settings the form showed: a save in between is refused, not overwritten.
    ...(version === "" ? {} : { version: /^\d+$/.test(version) ? Number(version) : version }),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const flag = await updateFlag(getDb(), await currentUser(), key, parsed.data);
    revalidatePath(`/flags/${key}`);
    return { status: "saved", message: "Settings saved", flag };
  } catch (err) {
    if (err instanceof AppError && err.code === "VERSION_CONFLICT") {
      const flag = err.details.current as FlagDto;
      const { description, owner, tags, rawEventSamplePercent } = { ...flag, ...parsed.data };
      return { status: "conflict", message: err.message, flag, submitted: { description, owner, tags, rawEventSamplePercent } };
    }
    const state = failure(err);
    return { status: state.status === "invalid" ? "invalid" : "error", message: state.message, fields: state.fields };
  }
}

export async function archiveFlagAction(_prev: FormState, form: FormData): Promise<FormState> {
  if (!isForm(form)) return unreadable;
  const key = String(form.get("flagKey") ?? "");
  const parsed = archiveFlagSchema.safeParse({ reason: form.get("reason") ?? "" });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await archiveFlag(getDb(), await currentUser(), key, parsed.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/flags");
  redirect("/flags");
}

/** Archives the flags ticked in the list (checkboxes named `keys`) with one reason. */
export async function archiveFlagsAction(_prev: FormState, form: FormData): Promise<FormState> {
  if (!isForm(form)) return unreadable;
  const parsed = archiveFlagsSchema.safeParse({ keys: form.getAll("keys").map(String), reason: form.get("reason") ?? "" });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const { archived } = await archiveFlags(getDb(), await currentUser(), parsed.data);
    revalidatePath("/flags");
    return { status: "saved", message: `Archived ${archived.length} ${archived.length === 1 ? "flag" : "flags"}: ${archived.join(", ")}` };
  } catch (err) {
    return failure(err);
  }
}
