import type { Db } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { AppError } from "../errors";
import { demoTrafficRunning, startSpike, stopSpike, type SpikeMode } from "./demo-spike";
import { requirePermission } from "../auth/permissions";

export const SPIKE_SECONDS = 120;

/** Admins make the demo service fail (on `on` only, or on both variants) for two minutes, or stop it. */
export async function setDemoSpike(db: Db, principal: Principal | null, mode: SpikeMode | "stop"): Promise<string> {
  const admin = requirePermission(principal, "demo.spike");
  if (!demoTrafficRunning()) throw new AppError("CONFLICT", "Demo traffic is not running on this instance");
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: mode === "stop" ? "demo.spike_stop" : "demo.spike",
      target: { type: "demo", id: "traffic" },
      after: mode === "stop" ? { spike: null } : { spike: mode, seconds: SPIKE_SECONDS },
    }),
  );
  if (mode === "stop") {
    stopSpike();
    return "Error spike stopped";
  }
  startSpike(mode, SPIKE_SECONDS);
  return `Errors injected on ${mode === "on" ? "the on variant only" : "both variants"} for ${SPIKE_SECONDS / 60} minutes`;
}
