// The browser tests replace Playwright's --disable-features with a longer one (Chromium reads only the
// last): it must still hold every feature Playwright itself turns off, or an upgrade of Playwright
// would quietly turn one of them back on.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chromiumLaunchOptions, PLAYWRIGHT_DISABLED_FEATURES } from "../support/find-browser";

function playwrightDisabledFeatures(): string[] {
  // Not an exported path: found beside the package's manifest.
  const manifest = createRequire(import.meta.url).resolve("playwright-core/package.json");
  const bundle = readFileSync(path.join(path.dirname(manifest), "lib", "coreBundle.js"), "utf8");
  const list = /disabledFeatures = \[([\s\S]*?)\]/.exec(bundle)?.[1];
  if (!list) throw new Error("playwright-core no longer has a disabledFeatures list: check find-browser.ts");
  return [...list.replace(/\/\/.*$/gm, "").matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

describe("the browser tests' Chromium switches", () => {
  it("repeat every feature Playwright disables, and replace Playwright's switch with theirs", () => {
    const playwright = playwrightDisabledFeatures();
    expect(playwright.length).toBeGreaterThan(5);
    expect(PLAYWRIGHT_DISABLED_FEATURES).toEqual(playwright);
    const options = chromiumLaunchOptions();
    const ours = options.args.filter((a) => a.startsWith("--disable-features="));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.slice("--disable-features=".length).split(",")).toEqual(expect.arrayContaining([...playwright, "WebUIOmniboxPopup"]));
    expect(options.ignoreDefaultArgs).toEqual([`--disable-features=${playwright.join(",")}`]);
  });
});
