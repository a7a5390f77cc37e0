import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Where tests keep throwaway PostgreSQL data directories and other scratch files: in RAM (/dev/shm)
 * when the machine has it, else the system's temporary directory. A run creates and drops about a
 * hundred databases and starts a dozen clusters; on ext4, every file PostgreSQL creates searches for a
 * free inode among the thousands the run has just deleted: 40 template clones cost PostgreSQL 1.6–20.5
 * CPU-s on disk, the more the disk has just churned, and 1.1–1.4 on tmpfs (npm run bench:test-databases).
 * ROLLGATE_TEST_TMPDIR picks another place.
 */
export function scratchRoot(): string {
  const chosen = process.env.ROLLGATE_TEST_TMPDIR;
  if (chosen) return chosen;
  try {
    if (statSync("/dev/shm").isDirectory()) {
      accessSync("/dev/shm", constants.W_OK);
      return "/dev/shm";
    }
  } catch {
    // No /dev/shm (macOS) or not writable: the disk it is.
  }
  return tmpdir();
}

/** A path for scratch data named `name` (a test's own data directory, say). */
export const scratchPath = (name: string) => path.join(scratchRoot(), `rollgate-${name}`);
