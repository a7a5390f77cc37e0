import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./tests/support/find-browser";

import { e2eServers } from "./tests/e2e/servers";

// One server (and database) per worker: see tests/e2e/test.ts.
const SERVERS = e2eServers();

export default defineConfig({
  testDir: "tests/e2e",
  // Not test-results/ itself: Playwright empties its output directory on start, and vitest writes its
  // report there while the browser tests run beside it (scripts/test.ts).
  outputDir: "test-results/e2e",
  // Screenshots for the README and issues are taken on demand only (tests/e2e/screenshots.spec.ts).
  testIgnore: process.env.SCREENSHOTS_DIR ? [] : ["**/screenshots.spec.ts"],
  // A file's tests run in order in one worker (later tests build on earlier ones); files spread over
  // the workers.
  fullyParallel: false,
  workers: SERVERS.length,
  retries: 0,
  timeout: 60_000,
  // How soon a page shows something is not a claim here (claims carry their own timeout): beside the
  // integration files on two loaded cores, a render can take seconds (tests/support/eventually.ts).
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    // Each worker's own server: tests/e2e/test.ts.
    baseURL: SERVERS[0]!.url,
    browserName: "chromium",
    launchOptions: chromiumLaunchOptions(),
    // Recording a trace for every test (to keep the failing ones) cost a fifth of the browser's CPU;
    // E2E_TRACE=retain-on-failure records them when a failure needs one.
    trace: process.env.E2E_TRACE === "retain-on-failure" ? "retain-on-failure" : "off",
    screenshot: "only-on-failure",
  },
  webServer: SERVERS.map((server) => ({
    // serve.ts bundled first (serve-bundled.mjs): no transpiling at start or under Next's module loads.
    command: "node tests/e2e/serve-bundled.mjs",
    url: `${server.url}/sign-in`,
    // The runner's pid: the server stops itself when the runner is gone (tests/support/stop-with-process.ts).
    env: { PORT: String(server.port), E2E_SUPABASE_PORT: String(server.supabasePort), E2E_RUNNER_PID: String(process.pid) },
    timeout: 180_000,
    reuseExistingServer: false,
    // Not SIGKILL (Playwright's default): the server stops its PostgreSQL and removes its data (serve.ts).
    gracefulShutdown: { signal: "SIGTERM" as const, timeout: 15_000 },
    stdout: "ignore" as const,
    stderr: "pipe" as const,
  })),
});
