// Starts tests/e2e/serve.ts (the browser tests' server) bundled into one file by esbuild, as the
// integration tests run theirs (tests/support/server-bundle.ts): Node then loads one module instead
// of tsx transpiling ~150 at start and hooking every module Next.js loads later. Measured per server:
// 3.2–3.7 CPU-s to "listening" instead of 4.3–5.3, and the first page 0.2–0.4 instead of 0.6–1.0.
// Plain JavaScript, so that nothing transpiles it.
import { rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE } from "../support/node-bundle.mjs";

// Inside the checkout (packages stay external and resolve from its node_modules), one per server:
// several start side by side, one per Playwright worker.
const dir = path.resolve(".data", `e2e-server-${process.env.PORT ?? "3100"}`);
const outfile = path.join(dir, "serve.mjs");
// Ports differ from run to run: each run's bundle goes with its server.
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
await build({
  entryPoints: [path.resolve("tests/e2e/serve.ts")],
  outfile,
  ...NODE_BUNDLE,
});
await import(pathToFileURL(outfile).href);
