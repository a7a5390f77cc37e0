import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { blockEventLoop } from "./block-event-loop";

/** The postmaster's PID, from `<dataDir>/postmaster.pid` (dataDir: the PostgreSQL data directory). */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/**
 * The fields of /proc/<pid>/stat after the command name, from the state on (`[state, ppid, …]`), or
 * null once the process is gone. Linux only. The command name may contain spaces and parentheses,
 * so the fields start after the last ")".
 */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Every process of the cluster: the postmaster and its children (backends, checkpointer, …). Linux only. */
export function clusterPids(dataDir: string): number[] {
  const postmaster = postmasterPid(dataDir);
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (/^\d+$/.test(entry) && Number(statFields(entry)?.[1]) === postmaster) children.push(Number(entry));
  }
  return [postmaster, ...children];
}

/** [CPU ticks of its own, ticks of the children it has reaped] of a process, from /proc (Linux). */
function cpuTicks(pid: number): [number, number] {
  const f = statFields(pid)?.map(Number);
  if (!f) throw new Error(`process ${pid} is gone`);
  return [f[11]! + f[12]!, f[13]! + f[14]!];
}

/** CPU-seconds the cluster has used: the postmaster, its live children and those it has reaped. Linux only. */
export function clusterCpuSeconds(dataDir: string): number {
  const [postmaster, ...children] = clusterPids(dataDir);
  const [own, reaped] = cpuTicks(postmaster!);
  let ticks = own + reaped;
  for (const pid of children) {
    try {
      ticks += cpuTicks(pid)[0];
    } catch {
      // Exited meanwhile: the postmaster's reaped ticks count it next time.
    }
  }
  return ticks / 100;
}

/**
 * Freezes the whole cluster as a hung host would (SIGSTOP): connections stay open, nothing answers.
 * The postmaster first, so it forks no new backend that would escape; then its children. kill()
 * returns before the signal has taken effect, and a postmaster caught in fork() still makes its
 * child, which then serves a connection unfrozen (a run on a loaded machine once got 160 answers of
 * 200 from one): so it stops children until a look at /proc finds no new one and every one stopped.
 * Returns the function that thaws them (SIGCONT).
 */
export function freezeCluster(dataDir: string): () => void {
  const postmaster = postmasterPid(dataDir);
  process.kill(postmaster, "SIGSTOP");
  const frozen = new Set<number>([postmaster]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const escaped = clusterPids(dataDir).filter((pid) => !frozen.has(pid));
    for (const pid of escaped) {
      try {
        process.kill(pid, "SIGSTOP");
        frozen.add(pid);
      } catch {
        // Gone meanwhile.
      }
    }
    // `T`: stopped; no fields: gone.
    const running = [...frozen].filter((pid) => !["T", "t", undefined].includes(statFields(pid)?.[0]));
    if (escaped.length === 0 && running.length === 0) break;
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not freeze: still running ${[...running, ...escaped].join(", ")}`);
    blockEventLoop(5);
  }
  return () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Exited while frozen (a backend whose client gave up is ended when it runs again).
      }
    }
  };
}
