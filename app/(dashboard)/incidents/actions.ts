"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { isInvalidInputError } from "@/lib/db/db-errors";
import { acknowledgeSchema, killSchema, noteSchema, resolveSchema, triageSchema } from "@/lib/incidents/incident-schemas";
import { killFlag, restoreFlag } from "@/lib/incidents/kill-switch";
import { untilServedHere } from "@/lib/evaluation/served-here";
import { acknowledgeIncident, addIncidentNote, resolveIncident, triageIncident } from "@/lib/incidents/update-incident";
import { FLAG_KEY_PATTERN } from "@/lib/flags/flag-schemas";
import { setGuardrailsSchema } from "@/lib/guardrails/guardrail-schemas";
import { setGuardrails } from "@/lib/guardrails/guardrails";
import { SEED_GUARDRAILS } from "@/lib/domain/guardrail";
import { currentUser } from "../../_request/session";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";

export interface IncidentFormState {
  status: "idle" | "ok" | "invalid" | "error";
  message?: string;
  fields?: Record<string, string>;
  incidentId?: string;
}

const unreadable: IncidentFormState = { status: "invalid", message: UNREADABLE_FORM };

function failure(err: unknown): IncidentFormState {
  if (err instanceof AppError)
    return { status: err.details.fields ? "invalid" : "error", message: err.message, fields: err.details.fields };
  if (isInvalidInputError(err)) return { status: "invalid", message: "The form contains a value that cannot be stored" };
  throw err;
}

/** A reason the schema refused, said as what is wrong with it (too short, too long), not only "say why". */
function refusedReason(error: z.ZodError, verb: "kill" | "restore"): IncidentFormState {
  const fields = fieldErrors(error);
  return { status: "invalid", fields, message: fields.reason ? `Reason: ${fields.reason}` : `Say why you ${verb} it` };
}

const target = z.object({ flagKey: z.string().regex(FLAG_KEY_PATTERN), environment: z.string().min(1).max(40) });

export async function killFlagAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const t = target.safeParse({ flagKey: form.get("flagKey"), environment: form.get("environment") });
  if (!t.success) return unreadable;
  const parsed = killSchema.safeParse({ reason: form.get("reason") ?? "" });
  if (!parsed.success) return refusedReason(parsed.error, "kill");
  try {
    const result = await killFlag(getDb(), await currentUser(), t.data, parsed.data);
    // Said killed once this instance serves it off (lib/evaluation/served-here.ts).
    await untilServedHere();
    revalidatePath("/", "layout");
    return { status: "ok", message: `${t.data.flagKey} is off in ${t.data.environment}.`, incidentId: result.incidentId };
  } catch (err) {
    return failure(err);
  }
}

export async function restoreFlagAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const t = target.safeParse({ flagKey: form.get("flagKey"), environment: form.get("environment") });
  if (!t.success) return unreadable;
  const parsed = killSchema.safeParse({ reason: form.get("reason") ?? "" });
  if (!parsed.success) return refusedReason(parsed.error, "restore");
  try {
    await restoreFlag(getDb(), await currentUser(), t.data, parsed.data);
    await untilServedHere();
    revalidatePath("/", "layout");
    return { status: "ok", message: `${t.data.flagKey} is restored in ${t.data.environment}; a paused rollout stays paused.` };
  } catch (err) {
    return failure(err);
  }
}

const UUID = z.uuid();

export async function acknowledgeIncidentAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("incidentId"));
  if (!id.success) return unreadable;
  const note = String(form.get("note") ?? "").trim();
  const parsed = acknowledgeSchema.safeParse({ version: Number(form.get("version")), ...(note ? { note } : {}) });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await acknowledgeIncident(getDb(), await currentUser(), id.data, parsed.data);
    revalidatePath("/", "layout");
    return { status: "ok", message: "Acknowledged" };
  } catch (err) {
    return failure(err);
  }
}

export async function resolveIncidentAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("incidentId"));
  if (!id.success) return unreadable;
  const text = (name: string) => String(form.get(name) ?? "");
  const parsed = resolveSchema.safeParse({
    version: Number(form.get("version")),
    summary: text("summary"),
    impact: text("impact"),
    rootCause: text("rootCause"),
    actionsTaken: text("actionsTaken"),
    followUps: text("followUps"),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error), message: "Check the highlighted fields" };
  try {
    await resolveIncident(getDb(), await currentUser(), id.data, parsed.data);
    revalidatePath("/", "layout");
    return { status: "ok", message: "Resolved" };
  } catch (err) {
    return failure(err);
  }
}

/** Severity or assignee ("assign to me" sends the signed-in user's id; "" unassigns). */
export async function triageIncidentAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("incidentId"));
  if (!id.success) return unreadable;
  const severity = form.get("severity");
  const assigneeId = form.get("assigneeId");
  const parsed = triageSchema.safeParse({
    version: Number(form.get("version")),
    ...(severity !== null ? { severity } : {}),
    ...(assigneeId !== null ? { assigneeId: assigneeId === "" ? null : assigneeId } : {}),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error), message: "Check the highlighted fields" };
  try {
    await triageIncident(getDb(), await currentUser(), id.data, parsed.data);
    revalidatePath("/", "layout");
    return { status: "ok", message: "Saved" };
  } catch (err) {
    return failure(err);
  }
}

export async function addIncidentNoteAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("incidentId"));
  if (!id.success) return unreadable;
  const parsed = noteSchema.safeParse({ body: String(form.get("body") ?? "") });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error), message: "Write the note" };
  try {
    await addIncidentNote(getDb(), await currentUser(), id.data, parsed.data);
    revalidatePath(`/incidents/${id.data}`);
    return { status: "ok", message: "Note added" };
  } catch (err) {
    return failure(err);
  }
}

/** The flag page's guardrail control: the seeds' alert thresholds (optionally as a dry run), or none. */
export async function setGuardrailsAction(_prev: IncidentFormState, form: FormData): Promise<IncidentFormState> {
  if (!isForm(form)) return unreadable;
  const t = target.safeParse({ flagKey: form.get("flagKey"), environment: form.get("environment") });
  const preset = z.enum(["seeds", "none"]).safeParse(form.get("preset"));
  if (!t.success || !preset.success) return unreadable;
  const parsed = setGuardrailsSchema.safeParse({
    guardrails: preset.data === "seeds" ? SEED_GUARDRAILS : [],
    dryRun: form.get("dryRun") === "on",
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    await setGuardrails(getDb(), await currentUser(), t.data, parsed.data);
    revalidatePath(`/flags/${t.data.flagKey}`);
    return {
      status: "ok",
      message: preset.data === "seeds" ? `Guardrails set${parsed.data.dryRun ? " (dry run)" : ""}` : "Guardrails removed",
    };
  } catch (err) {
    return failure(err);
  }
}
