/**
 * Stops this process once process `pid` is gone, by sending itself SIGTERM so that its own shutdown
 * runs (the browser tests' server stops its PostgreSQL and removes its data). Playwright starts its web
 * servers in process groups of their own and stops them when it ends in order; stopped by a signal
 * (npm test ending the other stages when one fails, a CI job's timeout), it left them running, each
 * with a PostgreSQL, holding their ports for the next run.
 */
export function stopWithProcess(pid: number, everyMs = 500): () => void {
  const timer = setInterval(() => {
    if (isRunning(pid)) return;
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }, everyMs);
  // The watch alone keeps nothing running.
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether process `pid` exists (EPERM: there, but someone else's). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
