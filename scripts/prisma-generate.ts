// `prisma generate` only needs the query compiler, but the CLI insists that a schema engine binary
// exists. Offline machines cannot download it, so point the CLI at any existing file.
// Skips the work when the generated client is newer than the schema (pass --force to regenerate).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";

const SCHEMA = "prisma/schema.prisma";
const GENERATED = "lib/db/generated/client.ts";
const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");

const fresh =
  existsSync(GENERATED) &&
  statSync(GENERATED).mtimeMs > statSync(SCHEMA).mtimeMs &&
  statSync(GENERATED).mtimeMs > statSync(require.resolve("@prisma/client/package.json")).mtimeMs;
if (fresh && !process.argv.includes("--force")) process.exit(0);

const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync(process.execPath, [cli, "generate", "--schema", SCHEMA], {
  stdio: process.argv.includes("--verbose") ? "inherit" : ["ignore", "ignore", "inherit"],
  env,
});
process.exit(result.status ?? 1);
