import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The postmaster's PID, from `<dataDir>/postmaster.pid` (dataDir: the PostgreSQL data directory). */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/** Every process of the cluster: the postmaster and its children (backends, checkpointer, …). Linux only. */
export function clusterPids(dataDir: string): number[] {
  const postmaster = postmasterPid(dataDir);
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name (field 2) may contain spaces and parentheses: fields after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return [postmaster, ...children];
}

/**
 * Freezes the whole cluster as a hung host would (SIGSTOP): connections stay open, nothing answers.
 * The postmaster first, so it forks no new backend that would escape; then its children.
 * Returns the function that thaws them (SIGCONT).
 */
export function freezeCluster(dataDir: string): () => void {
  const postmaster = postmasterPid(dataDir);
  process.kill(postmaster, "SIGSTOP");
  const pids = clusterPids(dataDir);
  for (const pid of pids) if (pid !== postmaster) process.kill(pid, "SIGSTOP");
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Exited while frozen (a backend whose client gave up is ended when it runs again).
      }
    }
  };
}
