import { expect, test, type Locator, type Page } from "./test";
import { fromPage, signIn } from "./helpers";

// A phone: 390 × 844 CSS pixels, touch, no keyboard shortcut to reach for.
test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test("on-call kills a flag from a phone with the visible button in at most 4 taps; the overview does not scroll sideways after", async ({
  page,
  browser,
}) => {
  // A draft rollout (an engineer's plan, not started) must not show as live on the overview.
  const engineerContext = await browser.newContext();
  const engineer = await engineerContext.newPage();
  await signIn(engineer, "engineer@rollgate.dev", { to: false });
  const key = `e2e-phone-draft-${Date.now().toString(36)}`;
  expect((await engineer.request.post("/api/v1/flags", { headers: fromPage(engineer), data: { key } })).status()).toBe(201);
  const draft = await engineer.request.post("/api/v1/rollouts", {
    headers: fromPage(engineer),
    data: { flagKey: key, environment: "production", phases: [{ name: "100 %", percent: 100, minSoakSeconds: 0 }] },
  });
  expect(draft.status()).toBe(201);
  expect((await draft.json()).status).toBe("draft");
  await engineerContext.close();

  await signIn(page, "oncall@rollgate.dev", { to: false });
  // The button is on every page, inside the screen.
  for (const path of ["/overview", "/flags", "/flags/checkout-redesign", "/approvals", "/incidents", "/audit"]) {
    await page.goto(path);
    const button = page.getByRole("button", { name: "Kill switch…" });
    await expect(button, path).toBeInViewport({ ratio: 1 });
    expect(await horizontalOverflow(page), path).toBe(0);
  }

  await page.goto("/overview");
  await expect(page.getByTestId("overview-rollouts")).not.toContainText(key);
  await expect(page.getByTestId("overview-rollouts")).not.toContainText(/\bdraft\b/);
  await expect(page.getByTestId("overview-planned")).toContainText(key);

  let taps = 0;
  const tap = async (target: Locator) => {
    taps++;
    await target.tap();
  };
  await tap(page.getByRole("button", { name: "Kill switch…" }));
  // Typing is not a tap; the palette takes focus itself.
  // Two words are enough: production's kill switch comes first, above staging's.
  await page.keyboard.type("kill checkout-re");
  await expect(page.getByRole("option").first()).toHaveText(/kill checkout-redesign in production/);
  await expect(page.getByRole("option", { name: /kill checkout-redesign in staging/ })).toBeVisible();
  await page.keyboard.type("design production");
  const option = page.getByRole("option", { name: /kill checkout-redesign in production/ });
  await tap(option);
  const reason = page.getByRole("dialog").getByLabel("Reason");
  await tap(reason);
  await page.keyboard.type("Checkout 500s on mobile");
  await tap(page.getByRole("button", { name: "Kill now" }));
  await expect(page).toHaveURL(/\/incidents\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "checkout-redesign killed in production" })).toBeVisible();
  expect(taps).toBeLessThanOrEqual(4);
  // The reason is the one typed, nothing added.
  await expect(page.getByTestId("incident-timeline")).toContainText("Checkout 500s on mobile");
  await expect(page.getByText("sev1", { exact: true })).toBeVisible();
  expect(await horizontalOverflow(page)).toBe(0);
  await page.screenshot({ path: "test-results/e2e/phone-incident.png", fullPage: true });

  // Triage from the phone: assign to me, lower the severity, add a note.
  await page.getByRole("button", { name: "Assign to me" }).tap();
  await expect(page.getByTestId("incident-assignee")).toHaveText("Assigned to Omar Oncall");
  await page.getByRole("combobox", { name: "Severity" }).selectOption("sev2");
  await page.getByRole("form", { name: "Triage" }).getByRole("button", { name: "Save" }).tap();
  await expect(page.getByTestId("incident-timeline")).toContainText("Severity sev1 → sev2");
  await page.getByRole("textbox", { name: "Add a note" }).fill("Rolled back the CDN config");
  await page.getByRole("button", { name: "Add note" }).tap();
  await expect(page.getByTestId("incident-timeline")).toContainText("oncall@rollgate.dev noted — Rolled back the CDN config");
  await expect(page.getByRole("textbox", { name: "Add a note" })).toHaveValue("");

  // The incident list stacks each incident on a phone: the reason is within the screen's width, not
  // in a column cut off at the right edge.
  await page.goto("/incidents");
  const row = page.getByTestId("incident-row").filter({ hasText: "Checkout 500s on mobile" });
  await expect(row.getByRole("link", { name: "checkout-redesign killed in production" })).toBeVisible();
  const why = row.getByText("Checkout 500s on mobile");
  const box = (await why.boundingBox())!;
  expect([box.x >= 0, box.x + box.width <= 390]).toEqual([true, true]);
  await expect(row).toContainText("sev2");
  expect(await horizontalOverflow(page)).toBe(0);

  await page.goto("/overview");
  await expect(page.getByRole("region", { name: /Killed flags/ })).toContainText("checkout-redesign in production");
  // Wait for the sparklines to settle into their final width before measuring.
  await expect(page.getByTestId("sparkline-checkout-redesign-production")).not.toContainText("…");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
  await page.screenshot({ path: "test-results/e2e/phone-overview.png", fullPage: true });
});

test("a viewer's button searches and offers no kill", async ({ page }) => {
  await signIn(page, "viewer@rollgate.dev", { to: "/overview" });
  await expect(page.getByRole("button", { name: "Kill switch…" })).toHaveCount(0);
  await page.getByRole("button", { name: "Search…" }).tap();
  // Specific enough that flags other specs import (Checkout.OneClick) do not match.
  await page.keyboard.type("checkout-re");
  await expect(page.getByRole("option").first()).toHaveText(/open checkout-redesign/);
  await expect(page.getByRole("option", { name: /^kill/ })).toHaveCount(0);
  expect(await horizontalOverflow(page)).toBe(0);
});

test("held sideways (844 × 390), the header shows every link and the whole account: nothing cut off, nothing to scroll to", async ({
  page,
}) => {
  await page.setViewportSize({ width: 844, height: 390 });
  // The admin has the most links (seven) and the longest account line.
  await signIn(page, "admin@rollgate.dev", { to: "/flags" });
  const links = page.getByRole("banner").getByRole("navigation").getByRole("link");
  await expect(links).toHaveCount(7);
  for (const link of await links.all()) await expect(link).toBeInViewport({ ratio: 1 });
  const account = page.getByTestId("current-user");
  await expect(account).toHaveText("Ada Admin");
  expect(await account.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  // "Sign out" on one line: no taller than the kill switch beside it.
  const signOut = await page.getByRole("button", { name: "Sign out" }).boundingBox();
  const killSwitch = await page.getByRole("button", { name: "Kill switch…" }).boundingBox();
  expect(signOut!.height).toBeLessThanOrEqual(killSwitch!.height);
  expect(await horizontalOverflow(page)).toBe(0);
});
