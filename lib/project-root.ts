import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The checkout's root (where package.json and supabase/migrations live), found by walking up from
 * this module. Not a fixed `../..`: the same code also runs bundled into one file (the test suite
 * starts its servers from an esbuild bundle, which is several times faster to load than tsx).
 */
export function projectRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "supabase", "migrations"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Rollgate checkout above ${from}`);
  }
}
