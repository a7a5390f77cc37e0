/**
 * Applies the results of overlapping loads of the same thing in the order the loads started, not the
 * order they finish: a result that arrives after one from a later-started load has been applied is
 * dropped. A later-started query reads a snapshot at least as new, so the applied state never goes
 * back in time (a token revoked a moment ago cannot come back because an older read finished last).
 */
export function latestStartedWins<T>(apply: (value: T) => void): (load: () => Promise<T>) => Promise<boolean> {
  let started = 0;
  let applied = 0;
  return async (load) => {
    const mine = ++started;
    const value = await load();
    if (mine < applied) return false;
    applied = mine;
    apply(value);
    return true;
  };
}
