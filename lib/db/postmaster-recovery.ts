import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";

/**
 * What a previous run left behind in an embedded data directory, and what start-up did about it.
 * The embedded PostgreSQL is a child of the Node process; `kill -9` of Node (an OOM kill, a crashed
 * container runtime, a hard reboot of the terminal) cannot stop it, so it keeps running as an orphan
 * holding `postmaster.pid`, and the next start failed with "lock file already exists".
 */
export type PostmasterRecovery =
  | { action: "none" }
  | { action: "removed-stale"; pid: number; reason: string }
  | { action: "stopped-orphan"; pid: number; forced: boolean };

interface ProcessInfo {
  argv: string[];
  ppid: number;
  zombie: boolean;
}

/** `/proc` on Linux; `ps` elsewhere (macOS). Undefined when the process is gone. */
function processInfo(pid: number): ProcessInfo | undefined {
  const proc = `/proc/${pid}`;
  if (existsSync("/proc/self/stat")) {
    try {
      const argv = readFileSync(`${proc}/cmdline`, "utf8").split("\0").filter(Boolean);
      const stat = readFileSync(`${proc}/stat`, "utf8");
      // The command name in field 2 may contain spaces and parentheses: parse after the last ")".
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return { argv, ppid: Number(ppid), zombie: state === "Z" || state === "X" };
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync("ps", ["-o", "ppid=,stat=,command=", "-p", String(pid)], { encoding: "utf8" }).trim();
    const m = out.match(/^(\d+)\s+(\S+)\s+(.*)$/);
    if (!m) return undefined;
    // ps joins the arguments with spaces; good enough to recognise `postgres -D <dir>` below.
    return { argv: m[3]!.split(" "), ppid: Number(m[1]), zombie: m[2]!.startsWith("Z") };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else (e.g. the `postgres` user when we run as root).
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A stopped orphan stays a zombie until its new parent reaps it; it no longer holds anything.
  return !processInfo(pid)?.zombie;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return norm(a) === norm(b);
}

/** True when `argv` is a postmaster started on `dataDir` (`postgres … -D <dataDir> …`). */
export function isPostmasterOf(argv: string[], dataDir: string): boolean {
  const exe = path.basename(argv[0] ?? "");
  if (exe !== "postgres" && exe !== "postmaster") return false;
  const d = argv.indexOf("-D");
  if (d !== -1 && argv[d + 1]) return samePath(argv[d + 1]!, dataDir);
  const joined = argv.find((a) => a.startsWith("-D"));
  return joined !== undefined && samePath(joined.slice(2), dataDir);
}

/**
 * The PostgreSQL running on `dataDir` right now, from its postmaster.pid (PID, port, listen address),
 * or null when none is: no file, a dead PID, or a PID that is now another program.
 */
export function runningPostmaster(dataDir: string): { pid: number; port: number; host: string } | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  if (!isAlive(pid)) return null;
  const info = processInfo(pid);
  if (!info || !isPostmasterOf(info.argv, dataDir)) return null;
  // listen_addresses as it took effect: "127.0.0.1" for ours; "*" or empty means any, so loopback works.
  const listen = (lines[5] ?? "").split(",")[0]!.trim();
  return { pid, port, host: !listen || listen === "*" || listen === "0.0.0.0" ? "127.0.0.1" : listen === "::" ? "::1" : listen };
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/**
 * Makes `dataDir` startable after an unclean end of the previous run:
 * - no `postmaster.pid`: nothing to do;
 * - its PID is not running, or is running but is not a postgres on this data directory (PIDs are
 *   reused; PostgreSQL itself refuses to start when the recorded PID belongs to any live process it
 *   cannot signal): the file is stale and is removed;
 * - its PID is our postgres and its parent is gone (reparented to init or a subreaper): an orphan of
 *   a killed Rollgate. It is asked for a fast shutdown (SIGINT: a clean checkpoint, nothing lost that
 *   was committed), and after `graceMs` for an immediate one (SIGQUIT: recovery replays the WAL);
 * - its PID is our postgres and its parent is still a live Node process: another Rollgate is using
 *   this data directory right now, and stopping its database would break it, so start-up stops here.
 */
export async function recoverPostmaster(dataDir: string, options: { graceMs?: number } = {}): Promise<PostmasterRecovery> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let text: string;
  try {
    text = readFileSync(pidFile, "utf8");
  } catch {
    return { action: "none" };
  }
  const pid = Number(text.split("\n")[0]);
  const removeStale = (reason: string): PostmasterRecovery => {
    rmSync(pidFile, { force: true });
    return { action: "removed-stale", pid, reason };
  };
  if (!Number.isInteger(pid) || pid <= 0) return removeStale("the file names no process");
  if (!isAlive(pid)) return removeStale(`PID ${pid} is not running`);
  const info = processInfo(pid);
  if (!info || !isPostmasterOf(info.argv, dataDir))
    return removeStale(`PID ${pid} is now another program, not PostgreSQL on this directory`);

  const parent = info.ppid > 1 ? processInfo(info.ppid) : undefined;
  if (parent && /^node(js)?(\d+)?$/.test(path.basename(parent.argv[0] ?? ""))) {
    throw new Error(
      `PostgreSQL (PID ${pid}) is already running on ${dataDir} for another live process (PID ${info.ppid}): stop that Rollgate first, or set ROLLGATE_DATA_DIR to another directory`,
    );
  }
  process.kill(pid, "SIGINT");
  if (await waitForExit(pid, options.graceMs ?? 30_000)) {
    rmSync(pidFile, { force: true }); // normally already removed by the shutdown itself
    return { action: "stopped-orphan", pid, forced: false };
  }
  process.kill(pid, "SIGQUIT");
  if (!(await waitForExit(pid, 10_000))) throw new Error(`PostgreSQL (PID ${pid}) on ${dataDir} did not stop; stop it by hand`);
  rmSync(pidFile, { force: true });
  return { action: "stopped-orphan", pid, forced: true };
}
