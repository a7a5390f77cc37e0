import path from "node:path";
import { mkdirSync } from "node:fs";
import { expect, type Browser, type Cookie, type Page, type Request } from "@playwright/test";
import { axeViolations } from "./axe";

export const DEMO_PASSWORD = "rollgate-demo";

/**
 * Sessions this worker has already signed in, by email and password. Signing in through the form
 * costs a page, a password hash and a redirect each time; a spec that needs "someone signed in as X"
 * gets X's session again instead. Specs about signing in itself pass `{ fresh: true }`.
 */
const sessions = new Map<string, Cookie[]>();

export interface SignInOptions {
  password?: string;
  /** Sign in through the form even if this worker has the person's session. */
  fresh?: boolean;
  /**
   * The page to end on (default: the person's landing page). A saved session goes there straight, so
   * a spec that starts on a page of its own does not first load the landing page for nothing.
   * `false`: no page of its own, for a spec that calls the API first or picks its pages later. A saved
   * session then loads a small API answer instead of a dashboard page (it says whether the session
   * still holds, and leaves the tab on the server's origin for `fromPage`); a sign-in through the form
   * stays where it lands. A dashboard page load is about half a CPU-second here.
   */
  to?: string | false;
}

/** A cheap authenticated answer: 200 while the session holds, 401 once it has ended. */
const SESSION_PROBE = "/api/v1/flags?limit=1";

export async function signIn(page: Page, email: string, options: SignInOptions = {}) {
  const password = options.password ?? DEMO_PASSWORD;
  const key = `${email}\n${password}`;
  const saved = options.fresh ? undefined : sessions.get(key);
  if (saved) {
    await page.context().addCookies(saved);
    if (options.to === false) {
      if ((await page.goto(SESSION_PROBE))?.status() === 200) return;
    } else {
      await page.goto(options.to ?? "/");
      // A session some spec ended since (a sign-out) lands on sign-in: then sign in for real.
      if (!new URL(page.url()).pathname.startsWith("/sign-in")) {
        await expect(page.getByTestId("current-user")).toBeVisible();
        return;
      }
    }
    sessions.delete(key);
    await page.context().clearCookies();
  }
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Each role lands somewhere else (lib/auth/landing.ts); the dashboard header says who is signed in.
  await expect(page).not.toHaveURL(/\/sign-in/);
  await expect(page.getByTestId("current-user")).toBeVisible();
  sessions.set(
    key,
    (await page.context().cookies()).filter((c) => c.name.startsWith("rollgate_")),
  );
  if (options.to) await page.goto(options.to);
}

/**
 * Two animation frames, so a resize has laid out and its listeners have re-rendered. Chromium can stop
 * drawing a page for minutes on a loaded machine (no frame, so no requestAnimationFrame callback; one
 * CI run hung a test for 4 minutes here), so a short timer ends the wait instead of the test's timeout.
 */
export async function afterNextFrames(page: Page) {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const fallback = setTimeout(resolve, 500);
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            clearTimeout(fallback);
            resolve();
          }),
        );
      }),
  );
}

/**
 * `page.goto(path)`, then until the page has settled: its main thread idle (hydrated, its effects
 * run) with none of its requests in flight (but the live stream, which stays open), e.g. a chart's
 * data fetched after hydration. What Playwright's "networkidle" waits for, without its fixed half
 * second of silence after the last request (0.46–0.62 s per page): the walks through every page
 * (pages.spec) took 33 s instead of 47 on an idle machine. Like "networkidle", a page that never
 * settles is checked anyway after `timeout` ms (its checks then say what is missing).
 */
export async function gotoSettled(page: Page, path: string, timeout = 10_000): Promise<void> {
  const inFlight = new Set<Request>();
  const started = (request: Request) => {
    if (new URL(request.url()).pathname !== "/api/v1/live") inFlight.add(request);
  };
  const ended = (request: Request) => inFlight.delete(request);
  page.on("request", started);
  page.on("requestfinished", ended);
  page.on("requestfailed", ended);
  try {
    await page.goto(path);
    const deadline = Date.now() + timeout;
    // Idle first, then nothing in flight: a response's handling can start another request.
    while ((await mainThreadIdle(page), inFlight.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    page.off("request", started);
    page.off("requestfinished", ended);
    page.off("requestfailed", ended);
  }
}

/** Until the page's main thread has nothing queued (an idle callback), at most `ms`. */
async function mainThreadIdle(page: Page, ms = 1000): Promise<void> {
  try {
    await page.evaluate((timeout) => new Promise<void>((resolve) => requestIdleCallback(() => resolve(), { timeout })), ms);
  } catch {
    // The page went on to another document meanwhile (a redirect of its own): wait for that one instead.
    await page.waitForLoadState("load");
  }
}

/**
 * The Origin a browser sends with the dashboard's own writes. `page.request` calls (API calls made
 * with the page's session cookie) send none, and a cookie-authenticated write without one is refused.
 */
/**
 * A signed-in page that hears nothing new by itself: the live stream is refused and the page counts
 * as hidden, so neither a live event nor the rollout pages' slow refresh timer redraws it. What it
 * shows changes only when the person acts, which is what tests of a stale screen need.
 */
export async function pageWithoutLiveUpdates(browser: Browser, email: string, options: SignInOptions = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await page.route("**/api/v1/live**", (route) => route.abort());
  await page.addInitScript(() => Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" }));
  await signIn(page, email, options);
  return page;
}

export function fromPage(page: Page): { origin: string } {
  return { origin: new URL(page.url()).origin };
}

/** Production changes go through a confirmation with a required reason. */
export async function saveProduction(page: Page, reason: string) {
  await page
    .getByTestId("env-production")
    .getByRole("button", { name: /^(Save|Override and save) production…$/ })
    .click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(/^Reason/).fill(reason);
  await dialog.getByRole("button", { name: /^(Save production|Override and save)$/ }).click();
}

/**
 * Ctrl-K until the palette is open: a press that lands before the page has hydrated finds no
 * listener and does nothing, and pressing again once it is open would close it.
 */
export async function openPalette(page: Page) {
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await expect(async () => {
    if (!(await palette.isVisible())) await page.keyboard.press("Control+k");
    await expect(palette).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
}

const LAYOUT_SIZES = [
  [1440, 900],
  [390, 844],
] as const;

/**
 * The page as it is now, at a desktop's and a phone's width: nothing scrolls sideways, axe finds
 * nothing. With SCREENSHOTS_DIR set each size is also saved for review: the whole page, or what
 * `part` picks (by test id).
 */
export async function checkLayoutAndAxe(page: Page, where: string, part?: string) {
  const dir = process.env.SCREENSHOTS_DIR;
  for (const [width, height] of LAYOUT_SIZES) {
    await page.setViewportSize({ width, height });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth), { message: `${where} at ${width} px` }).toBe(width);
    expect(await axeViolations(page), `${where} at ${width} px`).toEqual([]);
    if (dir) {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${where.replace(/\W+/g, "-")}-${width}.png`);
      if (part) await page.getByTestId(part).screenshot({ path: file });
      else await page.screenshot({ path: file, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Horizontal overflow and controls cut off at the right or left edge. */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    const scrollsSideways = (el: Element | null): boolean => {
      for (let e = el?.parentElement; e; e = e.parentElement) {
        const overflow = getComputedStyle(e).overflowX;
        if ((overflow === "auto" || overflow === "scroll") && e !== root && e !== document.body) return true;
      }
      return false;
    };
    if (root.scrollWidth > root.clientWidth) {
      // Name the outermost elements that stick out, so the failure says where to look.
      const culprits = [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && !scrollsSideways(el))
        .filter((el, _, all) => !all.includes(el.parentElement!))
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 4).join(".")}`);
      problems.push(`page is ${root.scrollWidth}px wide in a ${root.clientWidth}px viewport: ${culprits.join(", ")}`);
    }
    for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [role=button]")) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || getComputedStyle(el).visibility === "hidden") continue;
      if (el.closest(".sr-only")) continue;
      if (rect.left < -1 || rect.right > root.clientWidth + 1) {
        if (scrollsSideways(el)) continue;
        const label = (el.getAttribute("aria-label") ?? el.textContent ?? el.getAttribute("name") ?? el.tagName).trim().slice(0, 40);
        problems.push(`control "${label}" is outside the screen (${Math.round(rect.left)}–${Math.round(rect.right)}px)`);
      }
    }
    return problems;
  });
}
