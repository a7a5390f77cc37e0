import { AppError, notFound } from "../errors";
import type { RolloutDto } from "./rollout-view";

/**
 * The phase a form or a request for approval is about, refused when there is nothing left to
 * approve: an unknown phase (404), an ended rollout or a phase that already started (409).
 */
export function phaseToApprove(view: RolloutDto, index: number): RolloutDto["phases"][number] {
  const phase = view.phases[index];
  if (!phase) throw notFound(`Phase ${index} of this rollout`);
  if (view.status === "completed" || view.status === "rolled_back")
    throw new AppError("CONFLICT", `The rollout is ${view.status.replace("_", " ")}; nothing left to approve`);
  if (index <= view.currentPhase) throw new AppError("CONFLICT", `Phase ${index} (${phase.name}) has already started`);
  return phase;
}
