import path from "node:path";
import { defineConfig } from "vitest/config";
import SlowestFirst from "./tests/support/slowest-first";

// ROLLGATE_TEST_WORKERS: workers per project (3 by default; `npm run bench:test-cpu` runs one).
const workers = Number(process.env.ROLLGATE_TEST_WORKERS ?? 3);

const alias = { "@": path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    sequence: { sequencer: SlowestFirst },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
          // Workers that keep their loaded modules from file to file (no unit test mocks a module; the
          // two with fake timers restore real ones): 43 s → 15 s for the unit files on an idle 2-core
          // machine, and half the CPU, since each file no longer imports lib/ afresh. As many as the
          // integration project's: vitest runs projects side by side only when those match, and side
          // by side the integration files (the critical path) start 40 s sooner than after the unit files.
          maxWorkers: workers,
          isolate: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts", "tests/fuzz/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/support/global-setup.ts"],
          pool: "forks",
          // ROLLGATE_TEST_WORKER_ARGS: Node options for the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
          // (Node refuses those in NODE_OPTIONS). The servers take theirs from ROLLGATE_TEST_NODE_ARGS.
          execArgv: (process.env.ROLLGATE_TEST_WORKER_ARGS ?? "").split(" ").filter(Boolean),
          // Files in a worker share loaded modules (Prisma's client, pg, lib/): importing them afresh for
          // each of ~70 files cost a third of the suite's CPU. Files share nothing else: each has its own
          // database and server processes (tests/support/fixture.ts), and none mocks modules.
          isolate: false,
          maxWorkers: workers,
          // The accounts the tests make in-process (the demo template's, users a test creates, signIn):
          // scrypt at a 32nd of the cost, as the servers (tests/support/test-app.ts).
          env: { ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "1" },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
