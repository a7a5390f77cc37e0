import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const SYSTEM_CHROMIUMS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/**
 * Playwright's own Chromium when installed, else a system Chromium. Returns undefined for "use
 * Playwright's default", a path for a system browser, and throws a one-line fix when neither exists.
 */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.ROLLGATE_CHROMIUM;
  if (fromEnv) return fromEnv;
  try {
    if (existsSync(chromium.executablePath())) return undefined;
  } catch {
    // playwright-core throws when it has no browser registry entry; fall through to the system one.
  }
  const system = SYSTEM_CHROMIUMS.find((p) => existsSync(p));
  if (system) return system;
  throw new Error(
    "No Chromium found: run `sudo apt-get install -y chromium` (or `npx playwright install chromium`), or set ROLLGATE_CHROMIUM=/path/to/chrome",
  );
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
