import { spawnSync } from "node:child_process";

let chrt: boolean | undefined;

/**
 * The command and arguments that run `cmd` under Linux's SCHED_BATCH policy: the same share of the
 * CPU, but a process woken up (a PostgreSQL backend handed a query, a test server handed a request)
 * waits for the running one's time slice instead of preempting it, so the cores switch less often
 * between processes that hand each other work. A woken process of the normal policy (the browser's)
 * still preempts these. Lowering one's own policy needs no privilege; `chrt` is util-linux's, on
 * every Debian. Elsewhere, or without it, the command as it is.
 */
export function asBatch(cmd: string, args: string[]): { cmd: string; args: string[] } {
  chrt ??= process.platform === "linux" && spawnSync("chrt", ["--batch", "0", "true"], { stdio: "ignore" }).status === 0;
  return chrt ? { cmd: "chrt", args: ["--batch", "0", cmd, ...args] } : { cmd, args };
}
