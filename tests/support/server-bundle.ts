// The test servers run scripts/start.ts bundled into one file by esbuild: the same code `npm start`
// runs, but Node loads one file instead of tsx transpiling ~150 modules on every start, which made
// each of the suite's ~40 server starts several times slower. The command-line tools the tests run
// (`npm run audit:verify`, `user:create` and `db:migrate`, 19 runs) are bundled with it for the same reason:
// 0.34 CPU-s a run of audit:verify instead of 0.82.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { NODE_BUNDLE } from "./node-bundle.mjs";

/** The command-line scripts the integration tests run, by name (scripts/<name>.ts). */
export const CLI_SCRIPTS = ["audit-verify", "user-create", "db"] as const;
export type CliScript = (typeof CLI_SCRIPTS)[number];

/**
 * Bundles scripts/<name>.ts into `<dir>/<name>.mjs` for each name; `dir` must lie inside the checkout:
 * packages stay external and are resolved from its node_modules as usual.
 */
export async function bundleScripts<N extends string>(dir: string, names: readonly N[]): Promise<Record<N, string>> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: names.map((name) => path.resolve("scripts", `${name}.ts`)),
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    ...NODE_BUNDLE,
  });
  return Object.fromEntries(names.map((name) => [name, path.join(dir, `${name}.mjs`)])) as Record<N, string>;
}
