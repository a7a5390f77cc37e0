"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/lib/db/client";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { isInvalidInputError } from "@/lib/db/db-errors";
import { parseJson } from "@/lib/validation/json";
import { createSegment } from "@/lib/segments/create-segment";
import { updateSegment } from "@/lib/segments/update-segment";
import { deleteSegment } from "@/lib/segments/delete-segment";
import { createSegmentSchema, updateSegmentSchema } from "@/lib/segments/segment-schemas";
import type { SegmentDto } from "@/lib/segments/segment-dto";
import { currentUser } from "../../_request/session";
import { isForm, UNREADABLE_FORM } from "../../_request/form-input";

/** A live rollout whose flag uses the segment being edited, as the confirmation names it. */
export interface SegmentRolloutRef {
  id: string;
  status: string;
  flagKey: string;
  environment: string;
}

export interface SegmentFormState {
  status: "idle" | "saved" | "invalid" | "conflict" | "confirm" | "error";
  message?: string;
  fields?: Record<string, string>;
  /** With "confirm": the live rollouts the change reaches. */
  rollouts?: SegmentRolloutRef[];
  /** With "confirm" after a confirmation: those among them that it did not name (they came since). */
  unconfirmed?: string[];
  /** With "conflict": the segment as someone else left it. */
  current?: SegmentDto;
  /** With "saved": changes on every save, so the form can reset after a create. */
  savedAt?: number;
}

const unreadable: SegmentFormState = { status: "invalid", message: UNREADABLE_FORM };

function failure(err: unknown): SegmentFormState {
  if (err instanceof AppError) {
    if (err.code === "VERSION_CONFLICT") return { status: "conflict", message: err.message, current: err.details.current as SegmentDto };
    if (err.code === "CONFLICT" && err.details.rollouts) {
      return {
        status: "confirm",
        message: err.message,
        rollouts: err.details.rollouts as SegmentRolloutRef[],
        unconfirmed: err.details.unconfirmed as string[] | undefined,
      };
    }
    if (err.details.fields) return { status: "invalid", message: err.message, fields: err.details.fields };
    return { status: "error", message: err.message };
  }
  if (isInvalidInputError(err)) return { status: "invalid", message: "The form contains a value that cannot be stored" };
  throw err;
}

/** The constraint editor's list, sent as JSON in one hidden field; anything else is the form's error. */
function constraintsOf(form: FormData): unknown {
  const raw = form.get("constraints");
  if (typeof raw !== "string" || raw.length > 500_000) return null;
  const parsed = parseJson(raw);
  return parsed.ok ? parsed.value : null;
}

/** Creates a segment, or edits one when the form carries its id and version. */
export async function saveSegmentAction(_prev: SegmentFormState, form: FormData): Promise<SegmentFormState> {
  if (!isForm(form)) return unreadable;
  const id = String(form.get("id") ?? "");
  const common = { name: form.get("name") ?? "", description: form.get("description") ?? "", constraints: constraintsOf(form) };
  try {
    if (!id) {
      const parsed = createSegmentSchema.safeParse(common);
      if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
      await createSegment(getDb(), await currentUser(), parsed.data);
    } else {
      const parsed = updateSegmentSchema.safeParse({
        ...common,
        version: Number(form.get("version")),
        ...(form.get("confirm") === "on" ? { confirm: true, confirmRollouts: form.getAll("confirmRollouts").map(String) } : {}),
        reason: String(form.get("reason") ?? "") || undefined,
      });
      if (!parsed.success) return { status: "invalid", fields: fieldErrors(parsed.error) };
      await updateSegment(getDb(), await currentUser(), id, parsed.data);
    }
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/segments");
  return { status: "saved", savedAt: Date.now() };
}

export async function deleteSegmentAction(_prev: SegmentFormState, form: FormData): Promise<SegmentFormState> {
  if (!isForm(form)) return unreadable;
  try {
    await deleteSegment(getDb(), await currentUser(), String(form.get("id") ?? ""));
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/segments");
  return { status: "saved", savedAt: Date.now() };
}
