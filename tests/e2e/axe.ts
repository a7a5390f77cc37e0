import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Locator, Page } from "@playwright/test";
import type { AxeResults, Result } from "axe-core";

// axe-core 4.14 (package.json), not the 4.13 that @axe-core/playwright shipped with (that package's
// analyze() was never used here, see below): 4.14 runs label-content-name-mismatch by default (4.13 kept
// it experimental, so off) and is built with native private fields, where 4.13's transpiled ones cost
// each colour a WeakMap lookup per field. With the colours remembered (below) a run took 1125 ms
// against 1321 over five pages run twice each; without, 4.14 was 1.3–2.8× faster than 4.13 (eight pages).
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's violations on the page as it is now: every rule, in the top document (the dashboard
 * has no frames). axe is injected once per loaded document and run in place. @axe-core/playwright's
 * analyze() (no longer a dependency) re-injects it into every frame and finishes each run in a new
 * blank page, which cost 1–3 s per check here against 0.2–0.5 s for the run itself, with the same
 * rules and results.
 */
export async function axeViolations(page: Page): Promise<Result[]> {
  // After a server action or a refresh, Next renders the page's <title> again in a boundary of its
  // own, which can arrive after the rest: for that moment the document has none, and a loaded machine
  // stretches it enough for axe to land in it (document-title, once in a CI run). Wait for it like for
  // any other content; a page that never gets one still fails below. Polled by timer: Chromium may
  // skip animation frames for long stretches on a loaded machine.
  await page.waitForFunction(() => document.title.trim() !== "", null, { polling: 100, timeout: 10_000 }).catch(() => undefined);
  await injectAxe(page);
  // A refresh can still land while axe runs: the flag list re-renders 250 ms after any flag changes,
  // and the browser test beside it changes flags. Once in a CI run axe read a page without a title
  // there (document-title on the flag list right after a bulk archive; not reproduced since in 27
  // archives with flags changing every 100–400 ms, watched by a MutationObserver). A title that is
  // back when axe finishes was such a moment, and the page is checked again; one that stays missing
  // fails.
  for (let attempt = 1; ; attempt++) {
    const { violations, titleNow } = await page.evaluate(async () => {
      const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } };
      const found = (await axe.run(document, { resultTypes: ["violations"] })).violations;
      return { violations: found, titleNow: document.title.trim() };
    });
    const transient = violations.some((v) => v.id === "document-title") && titleNow !== "";
    if (!transient || attempt === 3) return violations;
  }
}

/**
 * axe's color-contrast rule on one control with the pointer over it. A page is checked at rest, but a
 * hover colour is what a mouse user reads while choosing, and what a tap leaves on a phone: a button's
 * lighter hover shade once failed a dialog check whenever the pointer happened to rest on it.
 */
export async function contrastUnderPointer(page: Page, control: Locator): Promise<string[]> {
  await control.hover();
  await injectAxe(page);
  const violations = await control.evaluate(async (element) => {
    const { axe } = window as unknown as { axe: { run(context: Element, options: object): Promise<AxeResults> } };
    return (await axe.run(element, { runOnly: { type: "rule", values: ["color-contrast"] }, resultTypes: ["violations"] })).violations;
  });
  return violations.flatMap((v) => v.nodes.map((n) => n.failureSummary ?? v.help));
}

/** axe into the page's current document, unless it is there already. */
async function injectAxe(page: Page): Promise<void> {
  if (await page.evaluate(() => "axe" in window)) return;
  await page.evaluate(AXE_SOURCE);
  await page.evaluate(rememberParsedColors);
}

/**
 * axe's colour parser, remembered per colour string. The color-contrast rule parses the computed
 * colours of every text element and of what lies behind it, the same few dozen strings thousands of
 * times, each through colorjs.io with gamut mapping: with it remembered, a whole axe run took 3–43 %
 * less of Chromium's CPU (audit page 28–43 %, flag page 3–27 %; three sets of four runs), with the
 * same results. Parsing depends on the string alone; one that does not parse is not remembered, so it
 * fails as before.
 */
function rememberParsedColors(): void {
  type Parsed = { r: number; g: number; b: number; alpha: number; parseString(color: string): Parsed };
  const { Color } = (window as unknown as { axe: { commons: { color: { Color: { prototype: Parsed } } } } }).axe.commons.color;
  const parse = Color.prototype.parseString;
  const parsed = new Map<string, [number, number, number, number]>();
  Color.prototype.parseString = function (this: Parsed, color: string): Parsed {
    const known = parsed.get(color);
    if (!known) {
      parse.call(this, color);
      parsed.set(color, [this.r, this.g, this.b, this.alpha]);
      return this;
    }
    [this.r, this.g, this.b, this.alpha] = known;
    return this;
  };
}
