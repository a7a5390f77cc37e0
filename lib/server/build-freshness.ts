import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const SOURCE_DIRS = ["app", "components", "lib", "public"];
const SOURCE_FILES = ["next.config.ts", "package.json", "postcss.config.mjs"];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "generated" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** True when `.next` is missing or older than any source it was built from. */
export function buildIsStale(root: string): boolean {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const builtAt = statSync(buildId).mtimeMs;
  const dirs = SOURCE_DIRS.map((d) => path.join(root, d)).filter(existsSync);
  const files = SOURCE_FILES.map((f) => path.join(root, f)).filter(existsSync);
  const newest = Math.max(0, ...dirs.map(newestMtime), ...files.map((f) => statSync(f).mtimeMs));
  return newest > builtAt;
}
