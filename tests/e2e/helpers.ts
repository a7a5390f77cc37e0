import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "rollgate-demo";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Each role lands somewhere else (lib/auth/landing.ts); the dashboard header says who is signed in.
  await expect(page).not.toHaveURL(/\/sign-in/);
  await expect(page.getByTestId("current-user")).toBeVisible();
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
