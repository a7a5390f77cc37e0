/** Polls `check` until it holds, failing after `timeoutMs`. For asynchronous propagation, not timing. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
