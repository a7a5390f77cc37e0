import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../../support/fixture";
import { verifyAuditChain } from "../../../lib/audit/verify-chain";
import { BOOTSTRAP } from "../../support/http";
import { buildWorld, openFingerprinter, serverActionIds, workerActed, type Fingerprinter } from "./fuzz-world";
import { describeRequest, sendRaw, type RawOutcome, type RawRequest } from "./raw-request";
import { requestArbitrary } from "./requests";
import { runsFor } from "./runs";
import { ALL_TARGETS, type Target, type World } from "./targets";

/**
 * Generated hostile requests against the real server: every route in docs/API.md, every dashboard
 * page and every server action. None may answer 5xx, reset the connection or hang, and none that is
 * refused may change anything. FUZZ_SEED=<n> replays a run; FUZZ_SCALE=<x> sends x times as many.
 *
 * The targets are dealt round-robin into shards (tests/fuzz/hostile-requests-<n>.test.ts), each
 * against a server and database of its own, so the shards run side by side. A target's requests
 * come from its index in ALL_TARGETS, so a seed replays the same requests however it is sharded.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** The state a server action returned, read from the React Flight payload (`1:{…}`). */
function actionState(body: string): Record<string, unknown> | null {
  const line = body.split("\n").find((l) => l.startsWith("1:{"));
  if (!line) return null;
  try {
    return JSON.parse(line.slice(2)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** True when the server said no: an HTTP refusal, or an action that returned a form error. */
function wasRefused(target: Target, outcome: Extract<RawOutcome, { kind: "response" }>): boolean | "unknown" {
  if (outcome.status >= 400) return true;
  if (target.kind !== "action") return false;
  if (outcome.status >= 300) return false; // redirect after success
  const state = actionState(outcome.body);
  if (!state) return "unknown";
  if (typeof state.error === "string") return true;
  if (state.status === "invalid" || state.status === "error" || state.status === "conflict") return true;
  return false;
}

export function hostileRequestsSuite(shard: number, shards: number): void {
  const targets = ALL_TARGETS.map((target, index) => ({ target, index })).filter(({ index }) => index % shards === shard);
  let world: World;
  let actionIds: Map<string, string>;
  let fingerprinter: Fingerprinter | undefined;

  // Guardrails and automatic progression act on their own (fuzzed plans can turn auto-advance on);
  // during the run nothing may change the database but the requests, so their first passes come as
  // late as the settings allow: an hour for progression, a minute for guardrails (their maximum).
  const { t, app } = setUpTestApp({
    bootstrapTokens: BOOTSTRAP,
    demo: true,
    env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "60000", ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" },
  });
  beforeAll(async () => {
    world = await buildWorld(t, app.url);
    actionIds = serverActionIds();
    fingerprinter = await openFingerprinter(t);
  });
  // Registered after the fixture's, so it runs first: the database is dropped once nobody is connected.
  afterAll(async () => {
    await fingerprinter?.close();
  });

  describe(`hostile input, shard ${shard + 1} of ${shards} (seed ${SEED})`, () => {
    it("never answers 5xx, resets or hangs, and a refused request changes nothing", async ({ annotate }) => {
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      let sent = 0;
      let checkedRefusals = 0;
      let workerChanges = 0;
      const fingerprint = fingerprinter!;
      let before = await fingerprint.read();
      for (const { target, index } of targets) {
        const requests: RawRequest[] = fc.sample(requestArbitrary(target, world, actionIds), {
          numRuns: runsFor(target),
          seed: SEED + index,
        });
        for (const req of requests) {
          const outcome = await sendRaw(app.url, req);
          sent++;
          const after = await fingerprint.read();
          if (outcome.kind !== "response") {
            failures.push(
              `${target.id}: ${outcome.kind === "hang" ? "no answer in 15 s" : `connection ${outcome.error}`}\n${describeRequest(req)}`,
            );
          } else {
            statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
            if (outcome.status >= 500) {
              failures.push(`${target.id}: ${outcome.status} ${outcome.body.slice(0, 200)}\n${describeRequest(req)}`);
            } else if (wasRefused(target, outcome) === true) {
              checkedRefusals++;
              // A loaded machine can stretch a shard past the guardrails' minute: a change a worker
              // made (its audit entry is in the same transaction) is the worker's, not the request's.
              if (after !== before) {
                if (workerActed(before, after)) workerChanges++;
                else
                  failures.push(
                    `${target.id}: refused with ${outcome.status} but the database changed\n${before}\n${after}\n${describeRequest(req)}`,
                  );
              }
            }
          }
          before = after;
        }
      }
      const report = await verifyAuditChain(t.db);
      // The run's figures, on the test's record (reporters show annotations) rather than on stdout.
      await annotate(
        `fuzz seed ${SEED}, shard ${shard + 1}/${shards}: ${sent} requests, ${checkedRefusals} refusals checked for writes (${workerChanges} beside a worker's change); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}; audit chain ${report.ok ? "verifies" : "BROKEN"} over ${report.checked} entries`,
      );
      // What a failure needs to be understood goes in its message: failures by kind, and the server's errors.
      const kinds = new Map<string, number>();
      for (const f of failures) kinds.set(f.split("\n")[0]!.slice(0, 120), (kinds.get(f.split("\n")[0]!.slice(0, 120)) ?? 0) + 1);
      const diagnosis = () => {
        const serverErrors = [
          ...new Set(
            app
              .output()
              .split("\n")
              .filter((l) => /Error|error/.test(l)),
          ),
        ].slice(0, 40);
        return `${[...kinds].map(([k, n]) => `${n} × ${k}`).join("\n")}\nserver said:\n${serverErrors.join("\n")}`;
      };
      expect(
        failures.slice(0, 8),
        `${failures.length} failures (replay with FUZZ_SEED=${SEED})${failures.length ? `\n${diagnosis()}` : ""}`,
      ).toEqual([]);
      expect(sent).toBe(targets.reduce((n, { target }) => n + runsFor(target), 0));
      expect(checkedRefusals).toBeGreaterThan(sent / 4);
      expect(report.problems).toEqual([]);
    }, 300_000);
  });
}
