import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

// The headless shell first: Chromium's headless-only build (what Playwright itself runs headless) has
// no browser UI to keep up per window. The full browser in headless mode spent a fifth more CPU on the
// browser tests (365 CPU-s against 305) and took a tenth longer, for the same pages and axe results.
const SYSTEM_CHROMIUMS = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

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
    "No Chromium found: run `sudo apt-get install -y chromium-headless-shell` (or `npx playwright install chromium`), or set ROLLGATE_CHROMIUM=/path/to/chrome",
  );
}

const CHROMIUM_SWITCHES = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // V8's baseline compiler only, no optimizing tiers: a test's pages live for seconds, too short for
  // Maglev or TurboFan to pay back their compiles (background threads). The browser tests, three
  // alternating pairs of runs: 252, 245 and 241 machine CPU-seconds with them, 231, 224 and 240
  // without (docs/test-suite-time.md). The tiers run the same JavaScript; only how fast differs.
  "--js-flags=--max-opt=1",
];

// Chromium reads only the last --disable-features, so ours repeats Playwright's (playwright-core's
// chromiumSwitches.ts, 1.65) and replaces it. What we add: the omnibox popup WebUIs that headless
// Chromium 15x preloads into a renderer of their own for every window, i.e. for every test's context
// (about a seventh of the browser's CPU in the suite, and nothing a test looks at).
export const PLAYWRIGHT_DISABLED_FEATURES = [
  "AvoidUnnecessaryBeforeUnloadCheckSync",
  "DestroyProfileOnBrowserClose",
  "HttpsUpgrades",
  "HttpsFirstBalancedModeAutoEnable",
  "LensOverlay",
  "MediaRouter",
  "PaintHolding",
  "ThirdPartyStoragePartitioning",
  "AvoidCorsURLLoaderRestartOnRedirect",
  "TcpPortRandomizationWin",
  "OptimizationHints",
  "NetworkTimeServiceQuerying",
  "AimEnabled",
  "PreconnectToSearch",
  "msForceBrowserSignIn",
  "msEdgeUpdateLaunchServicesPreferredVersion",
];
const OMNIBOX_POPUPS = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup"];

/** Playwright's launch options for the browser tests: the browser above, with the switches they need. */
export function chromiumLaunchOptions(): { executablePath?: string; args: string[]; ignoreDefaultArgs: string[] } {
  return {
    executablePath: chromiumExecutable(),
    args: [...CHROMIUM_SWITCHES, `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_POPUPS].join(",")}`],
    ignoreDefaultArgs: [`--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.join(",")}`],
  };
}
