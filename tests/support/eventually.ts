/**
 * Polls `check` until it holds, failing after `timeoutMs`. For asynchronous propagation, not timing.
 *
 * The pause between checks starts at 10 ms and grows by half each time up to 100 ms: a condition that
 * holds within moments is seen within moments, and one that takes seconds (demo traffic building up,
 * a worker's interval) is not asked 50 times a second. Each check is a query or a request, and beside
 * the browser tests on two cores that CPU comes out of every other test's.
 */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(100, pause * 1.5);
  }
}
