// Vitest global setup for integration tests: one embedded PostgreSQL per run, with a migrated
// template database that each test file clones (CREATE DATABASE … TEMPLATE …) for isolation.
import { rm } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, databaseUrl } from "../../lib/db/embedded-postgres";
import { ensureDatabase } from "../../lib/db/runtime";
import { migrateUp } from "../../lib/db/migrate";
import { freePort } from "./free-port";
import pg from "pg";
import { TEST_APP_ROLE_PASSWORD } from "./app-role";
import { bundleScripts, CLI_SCRIPTS, type CliScript } from "./server-bundle";
import { scratchPath } from "./scratch";

export const TEMPLATE_DB = "rollgate_template";

declare module "vitest" {
  export interface ProvidedContext {
    pgServerUrl: string;
    /** scripts/start.ts bundled for this run (tests/support/server-bundle.ts). */
    serverEntry: string;
    /** The command-line scripts the tests run, bundled the same way (tests/support/cli.ts). */
    cliEntries: Record<CliScript, string>;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = scratchPath(`test-${process.pid}`);
  // Inside the checkout, so the bundle resolves packages from node_modules.
  const bundleDir = path.resolve(".data", `test-${process.pid}-server`);
  await Promise.all([dataDir, bundleDir].map((dir) => rm(dir, { recursive: true, force: true })));
  // Thrown away after the run: no fsync (the app's default is durable, see README "Durability").
  const [server, { start: serverEntry, ...cliEntries }] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dataDir, "postgres"), port: await freePort(), unsafeNoFsync: true }),
    bundleScripts(bundleDir, ["start", ...CLI_SCRIPTS]),
  ]);
  await ensureDatabase(server.serverUrl, TEMPLATE_DB);
  await migrateUp(databaseUrl(server.serverUrl, TEMPLATE_DB));
  // The migration created the app role without LOGIN; every test app connects as it (test-app.ts).
  const client = new pg.Client({ connectionString: server.serverUrl });
  await client.connect();
  await client.query(`ALTER ROLE rollgate_app LOGIN PASSWORD '${TEST_APP_ROLE_PASSWORD}'`);
  await client.end();
  project.provide("pgServerUrl", server.serverUrl);
  project.provide("serverEntry", serverEntry);
  project.provide("cliEntries", cliEntries);
  return async () => {
    await server.stop();
    await Promise.all([dataDir, bundleDir].map((dir) => rm(dir, { recursive: true, force: true })));
  };
}
