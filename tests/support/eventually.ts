/**
 * The least any wait allows. How soon something propagates is the machine's business, not a claim:
 * a claim ("within a second") is asserted on its own measured time. Beside the browser tests on a
 * loaded two-core CI machine, waits of 5 s ran out (a first request to a cold route, a worker's pass),
 * and each such failure sank a whole run. A run that passes waits no longer for it; only a failure is
 * reported later.
 */
export const PATIENCE_FLOOR_MS = 15_000;

/**
 * Polls `check` until it holds, failing after `timeoutMs` (at least PATIENCE_FLOOR_MS). For
 * asynchronous propagation, not timing.
 *
 * The pause between checks starts at 10 ms and grows by half each time up to 100 ms: a condition that
 * holds within moments is seen within moments, and one that takes seconds (demo traffic building up,
 * a worker's interval) is not asked 50 times a second. Each check is a query or a request, and beside
 * the browser tests on two cores that CPU comes out of every other test's.
 */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const patience = Math.max(timeoutMs, PATIENCE_FLOOR_MS);
  const deadline = Date.now() + patience;
  let pause = 10;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${patience} ms`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(100, pause * 1.5);
  }
}
