import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "./tests/support/find-browser";

const PORT = Number(process.env.E2E_PORT ?? 3100);
// The Supabase Auth stand-in that tests/e2e/serve.ts starts; workers inherit this, so specs can reach it.
process.env.E2E_SUPABASE_PORT ??= String(PORT + 1);

export default defineConfig({
  testDir: "tests/e2e",
  // Not test-results/ itself: Playwright empties its output directory on start, and vitest writes its
  // report there while the browser tests run beside it (scripts/test.ts).
  outputDir: "test-results/e2e",
  // Screenshots for the README and issues are taken on demand only (tests/e2e/screenshots.spec.ts).
  testIgnore: process.env.SCREENSHOTS_DIR ? [] : ["**/screenshots.spec.ts"],
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: "chromium",
    launchOptions: { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: "npx tsx tests/e2e/serve.ts",
    url: `http://localhost:${PORT}/sign-in`,
    env: { PORT: String(PORT), E2E_SUPABASE_PORT: process.env.E2E_SUPABASE_PORT },
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  },
});
