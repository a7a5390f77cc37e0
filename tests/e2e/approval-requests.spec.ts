import { expect, test, type Browser, type Page } from "./test";
import { axeViolations } from "./axe";
import { afterNextFrames, signIn } from "./helpers";

/**
 * Issue 24 in the browser: an engineer asks a named product owner for the first phase's approval with
 * a note; the product owner finds it marked in the inbox with how long it has waited, reads the note on
 * the approval form and asks a question there; the engineer reads it on the rollout page.
 */
/** At a phone's width: nothing scrolls sideways and axe finds nothing. */
async function phoneChecks(page: Page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await afterNextFrames(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect((await axeViolations(page)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`)).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function personIn(browser: Browser, email: string, to: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email, { to });
  return page;
}

test("request approval from a named product owner, see it in their inbox, discuss it on the form", async ({ browser }) => {
  test.setTimeout(120_000);
  const flagKey = `e2e-ask-${Date.now().toString(36)}`;
  const engineer = await personIn(browser, "engineer@rollgate.dev", "/flags");
  await engineer.getByLabel("Key").fill(flagKey);
  await engineer.getByRole("button", { name: "Create flag" }).click();
  await expect(engineer).toHaveURL(new RegExp(`/flags/${flagKey}$`));
  await engineer.getByRole("link", { name: "Plan a staged rollout…" }).click();
  await engineer.getByLabel("Internal users (targeting keys, one per line)").fill("qa-1");
  await engineer.getByRole("button", { name: "Create rollout plan" }).click();
  await expect(engineer).toHaveURL(/\/rollouts\/[0-9a-f-]{36}$/);
  const rolloutId = engineer.url().split("/").pop()!;

  const ask = engineer.getByTestId("request-approval");
  await ask.getByRole("checkbox", { name: /Priya Product/ }).check();
  await ask.getByLabel("Note (optional)").fill("Internal users only; dashboards linked in the plan");
  await ask.getByRole("button", { name: /Request approval for/ }).click();
  await expect(ask.getByRole("status")).toHaveText("Approval requested");
  await expect(engineer.getByTestId("approval-requested")).toContainText("from Priya Product");
  await expect(engineer.getByTestId("phase-thread")).toContainText("Internal users only; dashboards linked in the plan");

  const po = await personIn(browser, "po@rollgate.dev", "/approvals");
  const item = po.getByTestId("inbox-item").filter({ hasText: flagKey });
  await expect(item).toContainText("asked you");
  await expect(item).toContainText("Asked by Erin Engineer");
  await expect(item).toContainText(/Waiting since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(\d+ s\)/);
  // Phases that named this product owner come before the rest.
  await expect(po.getByTestId("inbox-item").first()).toContainText("asked you");
  await phoneChecks(po);
  await item.getByRole("link").click();
  await expect(po).toHaveURL(new RegExp(`/rollouts/${rolloutId}/phases/0/approve$`));
  await expect(po.getByTestId("phase-thread")).toContainText("Internal users only");
  await po.getByLabel(/Comment on/).fill("Which dashboards show the checkout errors?");
  await po.getByRole("button", { name: "Add comment" }).click();
  await expect(po.getByTestId("phase-thread")).toContainText("Which dashboards show the checkout errors?");
  await phoneChecks(po);

  await engineer.reload();
  await expect(engineer.getByTestId("phase-thread")).toContainText("Which dashboards show the checkout errors?");
  await phoneChecks(engineer);

  // The product owner's form follows the thread live: the engineer's answer shows without a reload.
  await engineer.getByLabel(/Comment on/).fill("The payments dashboard, linked in the plan");
  await engineer.getByRole("button", { name: "Add comment" }).click();
  await expect(po.getByTestId("phase-thread")).toContainText("The payments dashboard, linked in the plan");
});
