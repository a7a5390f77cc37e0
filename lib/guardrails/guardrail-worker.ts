import type { Db } from "../db/client";
import { logFailure } from "../db/outage-log";
import { recordAudit } from "../audit/record-audit";
import { judge, type GuardrailAction, type GuardrailMetric } from "../domain/guardrail";
import { killFlagAs } from "../incidents/kill-switch";
import { enqueueNotification } from "../notifications";
import { windowMetrics } from "../rollouts/rollout-view";
import { applyTransition } from "../rollouts/transition-rollout";

const LOCK_KEY = 7_274_101; // one evaluator across all instances
const SYSTEM = { id: null, label: "system (guardrail)", roles: [] as const };
const PASS_FAILED = { one: "guardrail pass failed", many: "guardrail passes failed" };

/**
 * Evaluates every guardrail every few seconds on exactly one instance (transaction-level advisory
 * lock) and acts on a breach once: the action's own transaction changes the state, opens the incident,
 * writes the audit entry and queues the webhook. `breached_since` remembers the breach until the
 * metric recovers, so a breach acts once, not on every tick.
 */
export function startGuardrails(db: Db, options: { intervalMs?: number; log?: (m: string) => void } = {}) {
  const intervalMs = options.intervalMs ?? 5000;
  let running: Promise<number> | null = null;
  const tick = async (now = new Date()): Promise<number> => {
    let acted = 0;
    await db.$transaction(
      async (lockTx) => {
        const lock = await lockTx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`;
        if (!lock[0]?.locked) return;
        const rows = await db.guardrail.findMany({ orderBy: { createdAt: "asc" } });
        for (const g of rows) {
          try {
            if (await evaluateOne(db, g, now)) acted++;
          } catch (err) {
            logFailure(options.log, PASS_FAILED, err, `guardrail ${g.id} failed: ${String(err)}`);
          }
        }
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
    return acted;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = tick().finally(() => (running = null));
    running.catch((err: unknown) => logFailure(options.log, PASS_FAILED, err, `guardrail tick failed: ${String(err)}`));
  }, intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

type Row = Awaited<ReturnType<Db["guardrail"]["findMany"]>>[number];

async function evaluateOne(db: Db, g: Row, now: Date): Promise<boolean> {
  const flag = await db.flag.findUniqueOrThrow({ where: { id: g.flagId }, select: { key: true, archivedAt: true } });
  if (flag.archivedAt) return false;
  const metrics = await windowMetrics(db, g.flagId, g.environmentKey, null, g.windowSeconds, now);
  const verdict = judge(
    { metric: g.metric as GuardrailMetric, threshold: g.threshold, windowSeconds: g.windowSeconds, minSamples: g.minSamples },
    metrics,
  );
  // A token held out of the window (lib/domain/token-agreement.ts) is named in the stored verdict.
  const heldOut = metrics.heldOut.length ? { heldOut: metrics.heldOut.map((h) => h.reason) } : {};
  const record = (extra: Record<string, unknown> = {}) => ({ ...verdict, at: now.toISOString(), ...heldOut, ...extra }) as object;
  if (!verdict.breached) {
    // Recovery needs a judged, healthy window; too few samples keeps the breach open.
    await db.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record(), ...(verdict.judged ? { breachedSince: null } : {}) } });
    return false;
  }
  if (g.breachedSince) {
    await db.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record({ acted: "already acted on this breach" }) } });
    return false;
  }
  // Claim the breach first (conditional update), so even two evaluators could not act twice.
  const claimed = await db.guardrail.updateMany({ where: { id: g.id, breachedSince: null }, data: { breachedSince: now } });
  if (claimed.count === 0) return false;
  const action = g.action as GuardrailAction;
  const target = { flagKey: flag.key, environment: g.environmentKey };
  const reason = `guardrail: ${verdict.message}`;
  let acted: string = g.dryRun ? `dry run: would ${action}` : action;
  if (!g.dryRun) acted = await actOnBreach(db, action, target, reason, verdict, now);
  await db.$transaction(async (tx) => {
    await tx.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record({ acted }) } });
    await recordAudit(tx, {
      actor: { id: null, label: SYSTEM.label },
      action: "guardrail.breach",
      target: { type: "flag_state", id: `${flag.key}/${g.environmentKey}` },
      after: {
        metric: g.metric,
        threshold: g.threshold,
        windowSeconds: g.windowSeconds,
        value: verdict.value,
        samples: verdict.samples,
        acted,
        dryRun: g.dryRun,
      },
      reason: verdict.message,
    });
    if (action === "notify" || g.dryRun) {
      await enqueueNotification(tx, {
        environment: g.environmentKey,
        kind: "guardrail.breached",
        text: `:warning: ${flag.key} in ${g.environmentKey}: ${verdict.message}${g.dryRun ? ` (dry run: would ${action})` : ""}`,
        flagKey: flag.key,
        fields: { Flag: flag.key, Environment: g.environmentKey, Verdict: verdict.message, Action: acted },
        data: { metric: g.metric, value: verdict.value, threshold: g.threshold, samples: verdict.samples },
      });
    }
  });
  return true;
}

/**
 * What a breach does: pause or roll back the live rollout, or kill the flag. Exported so the lock-order
 * test can fire exactly this against a concurrent hand edit (tests/integration/flag-writer-storm.test.ts).
 */
export async function actOnBreach(
  db: Db,
  action: GuardrailAction,
  target: { flagKey: string; environment: string },
  reason: string,
  verdict: object,
  now: Date,
): Promise<string> {
  if (action === "notify") return "notified";
  const live = await db.rollout.findFirst({
    where: { flag: { key: target.flagKey }, environmentKey: target.environment, status: { in: ["draft", "active", "paused"] } },
  });
  if (action === "pause") {
    if (live?.status !== "active") return "nothing to pause (no active rollout)";
    await applyTransition(db, SYSTEM, live.id, "pause", { version: live.version, reason }, now);
    return "paused the rollout";
  }
  if (action === "rollback" && live && live.status !== "draft") {
    await applyTransition(db, SYSTEM, live.id, "rollback", { version: live.version, reason }, now);
    return "rolled the rollout back";
  }
  // kill, or roll back with no rollout to roll back: stop the flag.
  const result = await killFlagAs(db, { id: null, label: SYSTEM.label }, target, { reason, snapshot: verdict }, now);
  return `killed the flag (incident ${result.incidentId})`;
}
