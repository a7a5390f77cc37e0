import { expect, test } from "./test";
import { signIn } from "./helpers";
import { startReceiver } from "../support/webhook-receiver";

test("an admin creates an SDK token, sees it once, and it authenticates", async ({ page, request }) => {
  await signIn(page, "admin@rollgate.dev");
  await page.getByRole("link", { name: "Admin", exact: true }).click();
  const tokens = page.locator("section", { has: page.getByRole("heading", { name: "API tokens" }) });
  await tokens.getByLabel("Name").fill("checkout-service");
  await tokens.getByLabel("Acts as").selectOption("sdk:production");
  await tokens.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())?.trim() ?? "";
  expect(token).toMatch(/^rg_sdk_/);

  // An SDK token is valid but may not use the management API: 403, where an unknown token gets 401.
  const withToken = await request.get("/api/v1/flags", { headers: { authorization: `Bearer ${token}` } });
  expect(withToken.status()).toBe(403);
  const bogus = await request.get("/api/v1/flags", { headers: { authorization: "Bearer rg_sdk_bogus" } });
  expect(bogus.status()).toBe(401);

  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await expect(page.getByRole("row", { name: /checkout-service/ })).toContainText("environment production");
});

test("a viewer sees flags read-only and no admin page", async ({ page }) => {
  await signIn(page, "viewer@rollgate.dev");
  await expect(page.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Create flag" })).toHaveCount(0);
  await page.getByRole("link", { name: "messaging-v2" }).click();
  await expect(page.getByTestId("rollout-production")).toContainText("In 10% for 2 h");
  await expect(page.getByRole("button", { name: /Save/ })).toHaveCount(0);
  await expect(page.getByLabel("production rollout percentage")).toBeDisabled();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/flags$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  // Signed out, a dashboard page sends them to sign in, remembering where they were going.
  await page.goto("/flags");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fflags$/);
});

test("an admin adds a webhook, sends a test, and sees it delivered to a real receiver", async ({ page }) => {
  const receiver = await startReceiver();
  try {
    await signIn(page, "admin@rollgate.dev", { to: "/admin" });
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Webhooks" }) });
    await section.getByLabel("Environment").selectOption("staging");
    await section.getByLabel("Name").fill("#releases-e2e");
    await section.getByLabel("URL").fill("ftp://example.com/hook");
    await section.getByRole("button", { name: "Add webhook" }).click();
    await expect(section.getByText("use an http:// or https:// URL")).toBeVisible();

    await section.getByLabel("URL").fill(receiver.url("/e2e?secret=s3cret"));
    await section.getByRole("button", { name: "Add webhook" }).click();
    const row = section.getByRole("row").filter({ has: page.getByRole("button", { name: "Delete #releases-e2e" }) });
    await expect(row).toContainText("staging");
    await expect(row).toContainText("http://127.0.0.1:");
    await expect(section).not.toContainText("s3cret");

    await row.getByRole("button", { name: "Send a test to #releases-e2e" }).click();
    await expect(section.getByText("Test queued")).toBeVisible();
    await expect.poll(() => receiver.received("/e2e?secret=s3cret").length, { timeout: 10_000 }).toBe(1);
    const body = JSON.parse(receiver.received("/e2e?secret=s3cret")[0]!.body);
    expect(body.rollgate).toMatchObject({ kind: "webhook.test", environment: "staging" });

    await expect(async () => {
      await page.reload();
      const delivery = page.getByRole("row", { name: /webhook\.test.*#releases-e2e/ });
      await expect(delivery).toContainText("delivered", { timeout: 1_000 });
    }).toPass({ timeout: 10_000 });

    await row.getByRole("button", { name: "Disable #releases-e2e" }).click();
    await expect(row).toContainText("disabled");
    await row.getByRole("button", { name: "Delete #releases-e2e" }).click();
    await expect(section.getByRole("button", { name: "Delete #releases-e2e" })).toHaveCount(0);
    await expect(section.getByRole("row", { name: /#releases-e2e/ })).toHaveCount(0); // its deliveries went with it
  } finally {
    await receiver.close();
  }
});

test("on a phone tokens, webhooks and deliveries are cards: Revoke and a webhook's buttons need no sideways scroll", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, "admin@rollgate.dev", { to: "/admin" });
  const tokens = page.getByRole("region", { name: "API tokens" });
  const revoke = tokens.getByRole("button", { name: "Revoke sdk-production" });
  await expect(revoke).toBeVisible();
  const box = (await revoke.boundingBox())!;
  expect([box.x >= 0, box.x + box.width <= 390]).toEqual([true, true]);
  // Each value with its label, as a card.
  await expect(tokens.getByRole("row", { name: /^sdk-production / }).getByText("Last used", { exact: true })).toBeVisible();
  expect(await tokens.evaluate((region) => region.scrollWidth - region.clientWidth)).toBe(0);
  // A webhook added from the phone: its actions (and its long URL) within the screen too.
  const section = page.locator("section", { has: page.getByRole("heading", { name: "Webhooks" }) });
  await section.getByLabel("Name").fill("#phone-check");
  await section.getByLabel("URL").fill("https://hooks.example.com/services/T0000000/B0000000/a-long-secret-path-that-wraps");
  await section.getByRole("button", { name: "Add webhook" }).click();
  const webhooks = page.getByRole("region", { name: "Webhooks" });
  const remove = webhooks.getByRole("button", { name: "Delete #phone-check" });
  await expect(remove).toBeVisible();
  const buttons = await webhooks
    .getByRole("row", { name: /#phone-check/ })
    .getByRole("button")
    .all();
  expect(buttons.length).toBeGreaterThan(1);
  for (const button of buttons) {
    const { x, width } = (await button.boundingBox())!;
    expect({ button: await button.textContent(), inside: x >= 0 && x + width <= 390 }).toEqual({
      button: await button.textContent(),
      inside: true,
    });
  }
  expect(await webhooks.evaluate((region) => region.scrollWidth - region.clientWidth)).toBe(0);
  // Its delivery (a test message to a host this machine cannot reach) is a card as well.
  await webhooks.getByRole("button", { name: "Send a test to #phone-check" }).click();
  await expect(section.getByText("Test queued")).toBeVisible();
  await page.reload();
  const deliveries = page.getByRole("region", { name: "Recent deliveries" });
  const delivery = deliveries.getByRole("row", { name: /webhook\.test.*#phone-check/ });
  await expect(delivery.getByText("Last answer", { exact: true })).toBeVisible();
  const status = (await delivery.getByText(/^(pending|retrying|failed)$/).boundingBox())!;
  expect([status.x >= 0, status.x + status.width <= 390]).toEqual([true, true]);
  expect(await deliveries.evaluate((region) => region.scrollWidth - region.clientWidth)).toBe(0);
  await remove.click();
  await expect(remove).toHaveCount(0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
});
