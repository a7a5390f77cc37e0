// `prisma generate` only needs the query compiler, but the CLI insists that a schema engine binary
// exists. Offline machines cannot download it, so point the CLI at any existing file.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync(process.execPath, [cli, "generate", "--schema", "prisma/schema.prisma"], {
  stdio: process.argv.includes("--verbose") ? "inherit" : ["ignore", "ignore", "inherit"],
  env,
});
process.exit(result.status ?? 1);
