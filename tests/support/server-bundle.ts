// The test servers run scripts/start.ts bundled into one file by esbuild: the same code `npm start`
// runs, but Node loads one file instead of tsx transpiling ~150 modules on every start, which made
// each of the suite's ~40 server starts several times slower.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

/**
 * Bundles scripts/start.ts into `outfile`, which must lie inside the checkout: packages stay
 * external and are resolved from its node_modules as usual.
 */
export async function bundleServer(outfile: string): Promise<string> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [path.resolve("scripts/start.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Stack traces name the source files, so a failing test's server output points at lib/.
    sourcemap: "linked",
    logLevel: "error",
  });
  return outfile;
}
