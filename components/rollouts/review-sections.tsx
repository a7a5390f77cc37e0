import type { ReactNode } from "react";
import { exposureSentence } from "@/lib/domain/approval-review";
import { criteriaInWords, formatDuration } from "@/lib/domain/rollout";
import { kindsInWords } from "@/lib/notifications/kinds";
import type { ApprovalPacket } from "@/lib/rollouts/approval-packet";
import type { EarlierEnvironment } from "@/lib/rollouts/earlier-environments";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { utcMinute } from "@/lib/domain/utc-minute";

/** One "I have reviewed" item of the approval form with what it names. */
export interface ReviewSection {
  /** The value recorded in the signed form's `reviewed` list. */
  item: string;
  title: string;
  /** One line shown while the section is closed. */
  summary: string;
  content: ReactNode;
}

type Impact = { riskLevel?: string; benefits?: string; risks?: string; links?: string[] };

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const METRIC_NAMES = { error_rate: "Error rate", success_rate: "Success rate", p95_ms: "p95 latency" } as const;
const threshold = (metric: string, value: number) => (metric === "p95_ms" ? `${value} ms` : `${+(value * 100).toFixed(2)} %`);
const comparator = (metric: string) => (metric === "success_rate" ? "<" : ">");

const criteriaText = (c: RolloutDto["phases"][number]["criteria"]) => criteriaInWords(c, { samples: true }) ?? "none";

interface Input {
  rollout: RolloutDto;
  phaseIndex: number;
  packet: ApprovalPacket;
}

/** The sections in the order of the seeds' Appendix C, the live evidence last. */
export function reviewSections(rollout: RolloutDto, phaseIndex: number, packet: ApprovalPacket): ReviewSection[] {
  const input = { rollout, phaseIndex, packet };
  return [
    changeSection,
    impactSection,
    planSection,
    testResultsSection,
    rollbackSection,
    monitoringSection,
    communicationSection,
    evidenceSection,
  ].map((section) => section(input));
}

/**
 * The change as the form's header and the Change section's summary say it. With segments the audience
 * is who, not how many ("off → Rollgate staff (…)", not "on for 1 segment").
 */
export function changeInWords(change: ApprovalPacket["change"]): { before: string; after: string } {
  return change.before.rolloutSegments?.length || change.after.rolloutSegments?.length
    ? { before: change.audience.before, after: change.audience.after }
    : { before: exposureSentence(change.before), after: exposureSentence(change.after) };
}

function changeSection({ rollout, phaseIndex, packet }: Input): ReviewSection {
  const phase = rollout.phases[phaseIndex]!;
  const { change } = packet;
  return {
    item: "change",
    title: "Change",
    summary: `${changeInWords(change).before} → ${changeInWords(change).after}`,
    content: (
      <div className="space-y-2">
        <p>
          <span className="font-mono">{rollout.flagKey}</span> in <span className="capitalize">{rollout.environment}</span>, phase{" "}
          {phaseIndex + 1} “{phase.name}”: <strong>{exposureSentence(change.before)}</strong> →{" "}
          <strong>{exposureSentence(change.after)}</strong>.
        </p>
        {/* The segments' rules in words: what the product owner attests is who, not only how many. */}
        <p className="break-words" data-testid="change-audience">
          Audience: <strong>{change.audience.before}</strong> → <strong>{change.audience.after}</strong>
        </p>
        {/* How many that is, from the users seen in this environment (lib/rollouts/phase-reach.ts). */}
        {change.reach.after ? (
          <p className="break-words text-slate-600" data-testid="change-reach">
            Reach: {change.reach.before ? `${change.reach.before} → ` : ""}
            {change.reach.after} in <span className="capitalize">{rollout.environment}</span>
          </p>
        ) : null}
        {change.after.allowlist.length ? (
          <p className="break-words text-slate-600">Allowlist: {change.after.allowlist.join(", ")}</p>
        ) : null}
        <p data-testid="plan-changes">
          {change.sinceApproved === null
            ? `No form has approved this plan yet (plan v${rollout.planVersion}).`
            : change.sinceApproved.changes.length === 0
              ? `The plan is the version last approved (v${change.sinceApproved.planVersion}).`
              : `Since v${change.sinceApproved.planVersion} was approved:`}
        </p>
        {change.sinceApproved?.changes.length ? (
          <ul className="list-disc pl-5">
            {change.sinceApproved.changes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        ) : null}
      </div>
    ),
  };
}

function impactSection({ rollout }: Input): ReviewSection {
  const impact = rollout.impact as Impact;
  return {
    item: "impact assessment",
    title: "Impact assessment",
    summary: `risk ${impact.riskLevel ?? "not stated"}`,
    content: (
      <dl className="grid gap-1 sm:grid-cols-[7rem_1fr]">
        <dt className="text-slate-600">Risk</dt>
        <dd className="capitalize">{impact.riskLevel ?? "not stated"}</dd>
        <dt className="text-slate-600">Benefits</dt>
        <dd className="whitespace-pre-line">{impact.benefits || "—"}</dd>
        <dt className="text-slate-600">Risks</dt>
        <dd className="whitespace-pre-line">{impact.risks || "—"}</dd>
        <dt className="text-slate-600">Links</dt>
        <dd className="min-w-0">
          {impact.links?.length
            ? impact.links.map((l) => (
                <a
                  key={l}
                  href={l}
                  className="mr-3 block break-all text-indigo-700 hover:underline"
                  rel="noreferrer noopener"
                  target="_blank"
                >
                  {l}
                </a>
              ))
            : "—"}
        </dd>
      </dl>
    ),
  };
}

function planSection({ rollout, phaseIndex }: Input): ReviewSection {
  return {
    item: "deployment plan",
    title: "Deployment plan",
    summary: `${rollout.phases.length} phases, this is phase ${phaseIndex + 1}`,
    content: (
      <div className="space-y-2">
        <ol className="space-y-1.5" data-testid="review-plan">
          {rollout.phases.map((p) => (
            <li
              key={p.index}
              data-this-phase={p.index === phaseIndex}
              className={p.index === phaseIndex ? "rounded-md bg-indigo-50 px-2 py-1 ring-1 ring-indigo-200" : "px-2"}
            >
              <span className="font-medium">
                {p.index + 1}. {p.name}
              </span>{" "}
              ({p.segments.length ? p.audience : p.percent === 0 ? `allowlist of ${p.allowlist.length}` : `${p.percent} %`}) · soak{" "}
              {formatDuration(p.minSoakSeconds)} · criteria {criteriaText(p.criteria)} · {p.requiredApprovals} approval
              {p.requiredApprovals === 1 ? "" : "s"}
              {p.checklist.length ? ` · checklist: ${p.checklist.join("; ")}` : ""}
              {p.notBefore ? ` · not before ${utcMinute(p.notBefore)}` : ""}
              {p.index === phaseIndex ? <strong className="ml-1 text-indigo-800">← this approval</strong> : null}
            </li>
          ))}
        </ol>
        <p className="text-slate-600" data-testid="review-require-earlier">
          {rollout.requireEarlier
            ? `Every step requires the environment before this one: rollout completed, ≥ ${rollout.requireEarlier.hoursAtFull} h at 100 %, no incident.`
            : "The plan does not require results from an earlier environment."}
        </p>
      </div>
    ),
  };
}

function testResultsSection({ rollout, packet }: Input): ReviewSection {
  return {
    item: "test results",
    title: "Test results from earlier environments",
    summary: packet.earlierEnvironments.length
      ? packet.earlierEnvironments.map((e) => `${e.name}: ${e.rollout ? e.rollout.status.replace("_", " ") : "not rolled out"}`).join(" · ")
      : "no earlier environment",
    content: packet.earlierEnvironments.length ? (
      <div className="space-y-3" data-testid="review-test-results">
        {packet.earlierEnvironments.map((e) => (
          <EarlierResult key={e.environment} result={e} />
        ))}
      </div>
    ) : (
      <p>{rollout.environment} is the first environment: there are no earlier results.</p>
    ),
  };
}

function rollbackSection({ packet }: Input): ReviewSection {
  const tested = packet.earlierEnvironments.filter((e) => e.rollout);
  const { rollback } = packet;
  return {
    item: "rollback plan",
    title: "Rollback plan",
    summary: `restores ${exposureSentence(rollback.restores)}`,
    content: (
      <div className="space-y-1">
        <p>
          Roll back restores the flag to <strong>{exposureSentence(rollback.restores)}</strong>, the state before the rollout&apos;s first
          phase, in one step; the kill switch turns it off everywhere in this environment.
        </p>
        <p>
          {rollback.exercisedIn.length
            ? `Exercised: a rollout of this flag was rolled back in ${rollback.exercisedIn.join(", ")}.`
            : tested.length
              ? "Not exercised: no rollout of this flag was rolled back in an earlier environment."
              : "Not exercised in an earlier environment."}
        </p>
      </div>
    ),
  };
}

function monitoringSection({ rollout, phaseIndex, packet }: Input): ReviewSection {
  const phase = rollout.phases[phaseIndex]!;
  const { monitoring } = packet;
  return {
    item: "monitoring plan",
    title: "Monitoring plan",
    summary: monitoring.guardrails.length ? `${monitoring.guardrails.length} guardrails act automatically` : "no guardrails",
    content: (
      <div className="space-y-2">
        {monitoring.guardrails.length ? (
          <ul className="space-y-1" data-testid="review-guardrails">
            {monitoring.guardrails.map((g) => (
              <li key={`${g.metric}-${g.threshold}-${g.action}`}>
                {METRIC_NAMES[g.metric]} {comparator(g.metric)} {threshold(g.metric, g.threshold)} over {formatDuration(g.windowSeconds)} (≥{" "}
                {g.minSamples} requests) → <strong>{g.action}</strong>
                {g.dryRun ? " (dry run: only reported)" : ""}
              </li>
            ))}
          </ul>
        ) : (
          <p className="font-medium text-amber-800">No guardrails in {rollout.environment}: nothing acts on its own, only people.</p>
        )}
        {monitoring.guardrails.length ? (
          <p className="text-slate-600">
            While the flag splits traffic, on is compared with off: an error regression rolls back, a latency regression pauses, a sample
            ratio mismatch holds, and an incident on both arms pauses and asks a person.
          </p>
        ) : null}
        <p className="text-slate-600">This phase&apos;s success criteria: {criteriaText(phase.criteria)}.</p>
      </div>
    ),
  };
}

function communicationSection({ rollout, packet }: Input): ReviewSection {
  const { communication } = packet;
  const notified = communication.webhooks.filter((w) => w.notified);
  const excluded = communication.webhooks.filter((w) => !w.notified);
  const steps = kindsInWords(communication.stepKinds);
  const safety = kindsInWords(communication.safetyKinds);
  return {
    item: "communication plan",
    title: "Communication plan",
    summary: notified.length
      ? `${notified.length} of ${communication.webhooks.length} webhook${communication.webhooks.length === 1 ? "" : "s"} notified of each step`
      : "nobody notified of the steps",
    content: (
      <div className="space-y-2" data-testid="review-communication">
        {notified.length ? (
          <>
            <p>
              Each step of this rollout ({steps}) is posted to
              {communication.notifyWebhookIds === null
                ? ` every enabled webhook of ${rollout.environment}`
                : " the webhooks the plan chose"}
              :
            </p>
            <ul className="list-disc pl-5 break-words" data-testid="review-webhooks">
              {notified.map((w) => (
                <li key={w.id}>
                  {w.name} ({w.host})
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="font-medium text-amber-800">
            {communication.webhooks.length
              ? `The plan notifies no webhook of ${rollout.environment}: nobody is notified of this rollout's steps.`
              : `No webhooks in ${rollout.environment}: nobody is notified of its steps.`}
          </p>
        )}
        {excluded.length ? (
          <div>
            <p>Not notified of the steps:</p>
            <ul className="list-disc pl-5 break-words" data-testid="review-webhooks-excluded">
              {excluded.map((w) => (
                <li key={w.id}>
                  {w.name} ({w.host}) — {w.enabled ? "left out by the plan" : "disabled"}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {communication.webhooks.length ? (
          <p className="text-slate-600">
            Safety first: {safety} notices go to every enabled webhook of {rollout.environment}, whatever the plan says.
          </p>
        ) : null}
      </div>
    ),
  };
}

function evidenceSection({ rollout, packet }: Input): ReviewSection {
  const { evidence } = packet;
  return {
    item: "current evidence",
    title: "Current evidence: on vs off",
    summary: evidence ? evidenceSummary(evidence.errors) : "no split traffic yet",
    content: evidence ? (
      <div className="space-y-2" data-testid="review-evidence">
        <ArmsTable arms={evidence.errors} />
        <p className="text-slate-600">{evidence.errors.explanation}</p>
      </div>
    ) : (
      <p>
        No traffic split between on and off yet in this rollout. On alone over the last {Math.round(rollout.metrics.windowSeconds / 60)}{" "}
        min: {rollout.metrics.requests.toLocaleString("en-US")} requests
        {rollout.metrics.requests ? `, ${pct(rollout.metrics.errors / rollout.metrics.requests)} errors` : ""}
        {rollout.metrics.p95Ms !== null ? `, p95 ≤ ${rollout.metrics.p95Ms} ms` : ""}.
      </p>
    ),
  };
}

type Arms = NonNullable<ApprovalPacket["evidence"]>["errors"];

function evidenceSummary(a: Arms): string {
  const rate = (x: number | null) => (x === null ? "—" : pct(x));
  return `on ${rate(a.on.rate)} vs off ${rate(a.off.rate)} erroring users`;
}

function ArmsTable({ arms }: { arms: Arms }) {
  return (
    <table className="text-left">
      <thead>
        <tr className="text-slate-600">
          <th className="pr-4 font-medium">Arm</th>
          <th className="pr-4 font-medium">Requests</th>
          <th className="font-medium">Erroring users per request</th>
        </tr>
      </thead>
      <tbody>
        {(["on", "off"] as const).map((arm) => (
          <tr key={arm}>
            <td className="pr-4 font-mono">{arm}</td>
            <td className="pr-4 tabular-nums">{arms[arm].requests.toLocaleString("en-US")}</td>
            <td className="tabular-nums">{arms[arm].rate === null ? "—" : pct(arms[arm].rate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EarlierResult({ result }: { result: EarlierEnvironment }) {
  const r = result.rollout;
  if (!r) return <p>{result.name}: no rollout of this flag yet.</p>;
  return (
    <div data-environment={result.environment}>
      <p className="font-medium">
        {result.name}: {r.status.replace("_", " ")}, started {utcMinute(r.createdAt)}
        {r.endedAt ? `, ended ${utcMinute(r.endedAt)}` : ""}
      </p>
      <ul className="mt-1 list-disc pl-5">
        {r.exposures
          .filter((s) => s.enabled)
          .map((s) => (
            <li key={s.exposure}>
              {s.exposure}: {formatDuration(s.seconds)}
            </li>
          ))}
        <li>{r.secondsAtFull === null ? "never at 100 %" : `at 100 % for ${formatDuration(r.secondsAtFull)}`}</li>
        <li>
          {r.incidents} incident{r.incidents === 1 ? "" : "s"}, {r.rollbacks} rollback{r.rollbacks === 1 ? "" : "s"}
        </li>
        <li>{r.comparison ? `on vs off: ${r.comparison.explanation}` : "on vs off: no split traffic reported"}</li>
      </ul>
    </div>
  );
}
