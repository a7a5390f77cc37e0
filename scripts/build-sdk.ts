// npm run build:sdk — builds lib/sdk (with the parts of lib/domain it imports) into the installable
// package @rollgate/sdk in packages/sdk/dist:
//   dist/esm/{index,openfeature}.js   ES modules (dist/esm/package.json says "type": "module")
//   dist/cjs/{index,openfeature}.js   CommonJS (dist/cjs/package.json says "type": "commonjs")
//   dist/{esm,cjs}/types/**.d.ts      declarations, one tree per format (see copyDeclarations)
// `npm pack ./packages/sdk` then makes the tarball.
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { TSC_7 } from "./typescript";

const root = path.resolve(import.meta.dirname, "..");
const pkgDir = path.join(root, "packages/sdk");
const dist = path.join(pkgDir, "dist");
const manifest = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { engines: { node: string } };

// The OpenFeature entry must share the main entry's RollgateClient rather than carry a copy: with a
// copy, the client behind `provider.rollgate` would be a different class from the one users import
// (instanceof, RollgateRefusedError). Its one import of ./client becomes an import of the main entry.
const openFeatureUsesMainEntry: Plugin = {
  name: "openfeature-uses-main-entry",
  setup(b) {
    b.onResolve({ filter: /^\.\/client$/ }, (args) =>
      path.basename(args.importer) === "openfeature-provider.ts" ? { path: "./index.js", external: true } : undefined,
    );
  },
};

rmSync(dist, { recursive: true, force: true });

for (const format of ["esm", "cjs"] as const) {
  const outdir = path.join(dist, format);
  const result = await build({
    entryPoints: { index: "lib/sdk/index.ts", openfeature: "lib/sdk/openfeature-provider.ts" },
    absWorkingDir: root,
    outdir,
    bundle: true,
    format,
    platform: "node",
    target: `node${manifest.engines.node.replace(/^>=\s*/, "")}`,
    // The only package the SDK may import, and only from the OpenFeature entry (a peer dependency).
    external: ["@openfeature/server-sdk"],
    plugins: [openFeatureUsesMainEntry],
    metafile: true,
    logLevel: "warning",
  });
  // No runtime dependencies: anything from node_modules inlined into the bundle would be one in
  // disguise, so the build fails instead of shipping it.
  const inlined = Object.keys(result.metafile.inputs).filter((f) => f.includes("node_modules"));
  if (inlined.length) throw new Error(`the SDK bundle would include third-party code: ${inlined.join(", ")}`);
  writeFileSync(path.join(outdir, "package.json"), JSON.stringify({ type: format === "esm" ? "module" : "commonjs" }) + "\n");
}

// TypeScript 7: the same declarations for about a sixth of the CPU time (0.35–0.57 CPU-s against 2.4–3.5 for 5.9).
const tsc = spawnSync(process.execPath, [TSC_7, "-p", path.join(pkgDir, "tsconfig.json")], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
copyDeclarations(path.join(dist, ".types"));
rmSync(path.join(dist, ".types"), { recursive: true, force: true });
console.log(`built ${path.relative(root, dist)}`);

/**
 * tsc writes `from "./client"`; in a declaration file that a consumer resolves as an ES module
 * (moduleResolution node16/nodenext), an extensionless relative import does not resolve, so every
 * relative specifier gets `.js` (which TypeScript maps to the `.d.ts`). The same files go under both
 * formats because a `.d.ts` counts as ESM or CommonJS by the nearest package.json, like the `.js`.
 */
function copyDeclarations(from: string): void {
  for (const format of ["esm", "cjs"]) {
    const to = path.join(dist, format, "types");
    cpSync(from, to, { recursive: true });
    for (const file of readdirSync(to, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".d.ts")) continue;
      const full = path.join(to, file);
      const text = readFileSync(full, "utf8").replace(/((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]+?)(?<!\.js)(")/g, "$1$2.js$3");
      writeFileSync(full, text);
    }
  }
}
