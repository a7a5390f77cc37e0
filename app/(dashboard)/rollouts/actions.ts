"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { isInvalidInputError } from "@/lib/db/db-errors";
import { createRollout } from "@/lib/rollouts/create-rollout";
import { signApproval } from "@/lib/rollouts/sign-approval";
import { tickChecklist } from "@/lib/rollouts/tick-checklist";
import { transitionRollout } from "@/lib/rollouts/transition-rollout";
import { editRollout } from "@/lib/rollouts/edit-rollout";
import {
  approvalFormSchema,
  approvalRequestSchema,
  createRolloutSchema,
  editRolloutSchema,
  phaseCommentSchema,
  transitionSchema,
} from "@/lib/rollouts/rollout-schemas";
import { requestApproval } from "@/lib/rollouts/request-approval";
import { commentOnPhase } from "@/lib/rollouts/comment-on-phase";
import { loadRollout, type RolloutDto } from "@/lib/rollouts/rollout-view";
import type { Gate } from "@/lib/domain/rollout";
import { requirePermission } from "@/lib/auth/permissions";
import { currentUser } from "../../_request/session";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";
import { keysOf, linesOf } from "@/lib/domain/text-lists";

export interface RolloutFormState {
  status: "idle" | "ok" | "invalid" | "error" | "conflict" | "blocked";
  message?: string;
  fields?: Record<string, string>;
  current?: RolloutDto;
  gates?: Gate[];
}

const unreadable: RolloutFormState = { status: "invalid", message: UNREADABLE_FORM };
const UUID = z.uuid();

function failure(err: unknown): RolloutFormState {
  if (err instanceof AppError) {
    if (err.code === "VERSION_CONFLICT")
      return { status: "conflict", message: err.message, current: err.details.current as RolloutDto, fields: err.details.fields };
    // A red gate blocks; a refused reference without gates (a webhook of another environment) names its field.
    if (err.code === "UNPROCESSABLE" && err.details.gates)
      return { status: "blocked", message: err.message, gates: err.details.gates as Gate[] };
    return { status: err.details.fields ? "invalid" : "error", message: err.message, fields: err.details.fields };
  }
  if (isInvalidInputError(err)) return { status: "invalid", message: "The form contains a value that cannot be stored" };
  throw err;
}

const lines = (value: FormDataEntryValue | null) => linesOf(String(value ?? ""));
const keys = (value: FormDataEntryValue | null) => keysOf(String(value ?? ""));

/** Segment ids as a picker posts them ("3,7"); a non-number is left for the schema to name. */
const segmentIds = (value: FormDataEntryValue | null) =>
  String(value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const optionalNumber = (value: FormDataEntryValue | null, scale = 1) => {
  const s = String(value ?? "").trim();
  if (!s) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n * scale : s; // a non-number is left for the schema to name
};

/** The custom-plan editor posts one value per phase for each field; this zips them into phases. */
function phasesFrom(form: FormData) {
  const names = form.getAll("phaseName").map(String);
  return names.map((name, i) => {
    const at = (field: string) => form.getAll(field)[i] ?? null;
    const criteria = {
      minSuccessRate: optionalNumber(at("phaseMinSuccess"), 0.01),
      maxErrorRate: optionalNumber(at("phaseMaxError"), 0.01),
      maxP95Ms: optionalNumber(at("phaseMaxP95")),
      minSamples: optionalNumber(at("phaseMinSamples")),
    };
    return {
      name,
      percent: optionalNumber(at("phasePercent")) ?? "",
      minSoakSeconds: optionalNumber(at("phaseSoakHours"), 3600) ?? 0,
      requiredApprovals: optionalNumber(at("phaseApprovals")) ?? 0,
      checklist: lines(at("phaseChecklist")),
      // Internal users keep the flag in every phase, as in the playbook (not only in the first).
      allowlist: keys(form.get("internalAllowlist")),
      segments: segmentIds(at("phaseSegments")),
      criteria: Object.fromEntries(Object.entries(criteria).filter(([, v]) => v !== undefined)),
    };
  });
}

export async function createRolloutAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const playbook = form.get("mode") !== "custom";
  const soakScale = (n: unknown) => (typeof n === "number" ? Math.round(n) : n);
  const raw = {
    flagKey: form.get("flagKey"),
    environment: form.get("environment"),
    ...(playbook
      ? {
          template: "playbook",
          internalAllowlist: keys(form.get("internalAllowlist")),
          internalSegments: segmentIds(form.get("internalSegments")),
        }
      : { phases: phasesFrom(form).map((p) => ({ ...p, minSoakSeconds: soakScale(p.minSoakSeconds) })) }),
    ...planTermsFrom(form),
  };
  const parsed = createRolloutSchema.safeParse(raw);
  if (!parsed.success) return { status: "invalid", message: "Check the highlighted fields", fields: fieldErrors(parsed.error) };
  let id: string;
  try {
    id = (await createRollout(getDb(), await currentUser(), parsed.data)).id;
  } catch (err) {
    return failure(err);
  }
  revalidatePath(`/flags/${parsed.data.flagKey}`);
  redirect(`/rollouts/${id}`);
}

const ACTIONS = ["advance", "pause", "resume", "rollback"] as const;

export async function transitionRolloutAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  const action = z.enum(ACTIONS).safeParse(form.get("action"));
  if (!id.success || !action.success) return unreadable;
  const reason = String(form.get("reason") ?? "").trim();
  const parsed = transitionSchema.safeParse({
    version: Number(form.get("version")),
    ...(reason ? { reason } : {}),
    ...(form.get("override") === "on" ? { override: true, overrideGates: form.getAll("overrideGates").map(String) } : {}),
    ...(form.get("acknowledgeConditions") === "on"
      ? { acknowledgeConditions: true, acknowledgedApprovals: form.getAll("acknowledgedApprovals").map(String) }
      : {}),
    ...(form.get("confirmWiden") === "on" ? { confirmWiden: true } : {}),
  });
  if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
  try {
    const after = await transitionRollout(getDb(), await currentUser(), id.data, action.data, parsed.data);
    revalidatePath(`/rollouts/${id.data}`);
    return {
      status: "ok",
      message: `Done: the rollout is ${after.status.replace("_", " ")}${after.status === "active" ? `, phase ${after.currentPhase + 1} (${after.phases[after.currentPhase]?.name})` : ""}.`,
    };
  } catch (err) {
    return failure(err);
  }
}

export async function tickChecklistAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  const index = z.coerce.number().int().min(0).max(99).safeParse(form.get("phaseIndex"));
  const item = String(form.get("item") ?? "");
  if (!id.success || !index.success) return unreadable;
  try {
    await tickChecklist(
      getDb(),
      await currentUser(),
      { rolloutId: id.data, phaseIndex: index.data },
      { item, done: form.get("done") === "on" },
    );
  } catch (err) {
    return failure(err);
  }
  revalidatePath(`/rollouts/${id.data}`);
  return { status: "ok" };
}

export async function signApprovalAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  const index = z.coerce.number().int().min(0).max(99).safeParse(form.get("phaseIndex"));
  if (!id.success || !index.success) return unreadable;
  const text = (name: string) => {
    const v = String(form.get(name) ?? "").trim();
    return v ? v : undefined;
  };
  const parsed = approvalFormSchema.safeParse({
    decision: form.get("decision") ?? undefined,
    riskLevel: form.get("riskLevel") ?? undefined,
    reviewed: form.getAll("reviewed").map(String),
    conditions: text("conditions"),
    notBefore: text("notBefore"),
    officeHoursTimeZone: text("officeHoursTimeZone"),
    reason: text("reason"),
    signature: String(form.get("signature") ?? "").trim(),
    supersedes: text("supersedes"),
    planVersion: optionalNumber(form.get("planVersion")),
    passingGates: form.getAll("passingGates").map(String),
  });
  if (!parsed.success) return { status: "invalid", message: "Check the highlighted fields", fields: fieldErrors(parsed.error) };
  try {
    await signApproval(getDb(), await currentUser(), { rolloutId: id.data, phaseIndex: index.data }, parsed.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath(`/rollouts/${id.data}`);
  revalidatePath("/approvals");
  redirect(`/rollouts/${id.data}?signed=1`);
}

/**
 * Saves the plan editor: the phases still to come (started ones are kept as they are), the impact
 * assessment and automatic progression, against the version the editor was opened on.
 */
export async function editRolloutAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  if (!id.success) return unreadable;
  let current: RolloutDto;
  try {
    // The role first: loading a rollout runs its metrics queries and says whether the id exists.
    requirePermission(await currentUser(), "rollout.edit");
    current = await loadRollout(getDb(), id.data);
  } catch (err) {
    return failure(err);
  }
  const started = current.phases.slice(0, current.currentPhase + 1);
  const future = phasesFrom(form).map((p, i) => {
    // The editor has no allowlist column: a row keeps the allowlist of the phase it edits.
    const same = current.phases[started.length + i];
    return {
      ...p,
      minSoakSeconds: typeof p.minSoakSeconds === "number" ? Math.round(p.minSoakSeconds) : p.minSoakSeconds,
      allowlist: same?.allowlist ?? [],
    };
  });
  const parsed = editRolloutSchema.safeParse({
    version: Number(form.get("version")),
    phases: [
      ...started.map((p) => ({
        name: p.name,
        percent: p.percent,
        minSoakSeconds: p.minSoakSeconds,
        criteria: p.criteria,
        requiredApprovals: p.requiredApprovals,
        checklist: p.checklist,
        allowlist: p.allowlist,
        // Started phases are sent back as they are: without their segments they would read as changed.
        segments: p.segments,
        ...(p.notBefore ? { notBefore: p.notBefore } : {}),
      })),
      ...future,
    ],
    ...planTermsFrom(form),
    notifyWebhookIds: form.get("notifyMode") === "chosen" ? form.getAll("notifyWebhookIds").map(String) : null,
  });
  if (!parsed.success) return { status: "invalid", message: "Check the highlighted fields", fields: fieldErrors(parsed.error) };
  try {
    const after = await editRollout(getDb(), await currentUser(), id.data, parsed.data);
    revalidatePath(`/rollouts/${id.data}`);
    const voided = after.approvals.filter((a) => a.state === "void").length - current.approvals.filter((a) => a.state === "void").length;
    return {
      status: "ok",
      message:
        after.version === current.version
          ? "Nothing changed."
          : `Saved as plan v${after.planVersion}.${voided > 0 ? ` ${voided} approval${voided > 1 ? "s are" : " is"} void and must be signed again.` : ""}`,
    };
  } catch (err) {
    return failure(err);
  }
}

/** What a new plan and an edited plan both take from their forms: impact, auto-advance, the earlier environment. */
function planTermsFrom(form: FormData) {
  return {
    impact: {
      riskLevel: form.get("riskLevel"),
      benefits: form.get("benefits") ?? "",
      risks: form.get("risks") ?? "",
      links: lines(form.get("links")),
    },
    autoAdvance: form.get("autoAdvance") === "on",
    requireEarlier: requireEarlierFrom(form),
  };
}

/** The plan's "environment before" requirement from its checkbox and hours (null when unticked). */
function requireEarlierFrom(form: FormData): { hoursAtFull: number } | null {
  if (form.get("requireEarlier") !== "on") return null;
  const hours = String(form.get("requireEarlierHours") ?? "").trim();
  return { hoursAtFull: hours === "" ? Number.NaN : Number(hours) };
}

/** An engineer asks the chosen product owners (none ticked: any) to approve a phase. */
export async function requestApprovalAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  const index = z.coerce.number().int().min(0).max(99).safeParse(form.get("phaseIndex"));
  if (!id.success || !index.success) return unreadable;
  const note = String(form.get("note") ?? "").trim();
  const parsed = approvalRequestSchema.safeParse({ productOwners: form.getAll("productOwners").map(String), note: note || undefined });
  if (!parsed.success) return { status: "invalid", message: "Check the highlighted fields", fields: fieldErrors(parsed.error) };
  try {
    await requestApproval(getDb(), await currentUser(), { rolloutId: id.data, phaseIndex: index.data }, parsed.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath(`/rollouts/${id.data}`);
  revalidatePath("/approvals");
  return { status: "ok", message: "Approval requested" };
}

/** Adds a comment to a phase's thread, from the rollout page or the approval form. */
export async function commentOnPhaseAction(_prev: RolloutFormState, form: FormData): Promise<RolloutFormState> {
  if (!isForm(form)) return unreadable;
  const id = UUID.safeParse(form.get("rolloutId"));
  const index = z.coerce.number().int().min(0).max(99).safeParse(form.get("phaseIndex"));
  if (!id.success || !index.success) return unreadable;
  const parsed = phaseCommentSchema.safeParse({ body: String(form.get("body") ?? "") });
  if (!parsed.success) return { status: "invalid", message: "Check the highlighted fields", fields: fieldErrors(parsed.error) };
  try {
    await commentOnPhase(getDb(), await currentUser(), { rolloutId: id.data, phaseIndex: index.data }, parsed.data);
  } catch (err) {
    return failure(err);
  }
  revalidatePath(`/rollouts/${id.data}`);
  revalidatePath(`/rollouts/${id.data}/phases/${index.data}/approve`);
  return { status: "ok", message: "Comment added" };
}
