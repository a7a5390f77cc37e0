// The server the browser tests talk to: the real `npm start` path (embedded PostgreSQL, migrations,
// demo seed) on a fresh data directory, so every run starts from the same demo state.
import { rmSync } from "node:fs";
import path from "node:path";
import { freePort } from "../support/free-port";

const dataDir = path.resolve(".data", "e2e");
rmSync(dataDir, { recursive: true, force: true });
process.env.ROLLGATE_DATA_DIR = dataDir;
process.env.ROLLGATE_PG_PORT = String(await freePort());
process.env.ROLLGATE_DEMO = "auto";
delete process.env.DATABASE_URL;
await import("../../scripts/start");
