import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

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
  await expect(page.getByTestId("rollout-production")).toContainText("In phase 2 of 4");
  await expect(page.getByRole("button", { name: /Save/ })).toHaveCount(0);
  await expect(page.getByLabel("production rollout percentage")).toBeDisabled();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/flags$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/flags");
  await expect(page).toHaveURL(/\/sign-in$/);
});
