import { expect, test, type Page } from "./test";
import { fromPage, signIn } from "./helpers";

// Issue 25: segments on their own page. An engineer creates "Staff" (email ends with @acme.com), is
// told what is wrong with a constraint next to it, edits the segment, and confirms an edit that
// reaches a live rollout's audience.

const newSegmentForm = (page: Page) => page.locator("section", { has: page.getByRole("heading", { name: "New segment" }) });

test("an engineer creates the Staff segment, fixes a field error, and edits it", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev");
  await page.getByRole("navigation").getByRole("link", { name: "Segments" }).click();
  await expect(page).toHaveURL(/\/segments$/);

  const form = newSegmentForm(page);
  // On a desktop the form is in place, and the phone's "New segment" link is not shown.
  await expect(page.getByRole("link", { name: "New segment", exact: true })).toBeHidden();
  await form.getByLabel("Name", { exact: true }).fill("Staff");
  await form.getByLabel("Description", { exact: true }).fill("Everyone at Acme");
  const first = form.getByTestId("new-segment-0");
  await first.getByLabel("Context field").fill("email");
  await first.getByLabel("Operator").selectOption("STR_ENDS_WITH");
  await form.getByRole("button", { name: "Create segment" }).click();
  // No value yet: the message is on the values field, and nothing was created.
  await expect(first.getByRole("alert")).toHaveText("STR_ENDS_WITH needs at least one value");
  await expect(page.getByTestId("segment-Staff")).toHaveCount(0);

  await first.getByLabel("Values").fill("@acme.com");
  await form.getByRole("button", { name: "Create segment" }).click();
  const card = page.getByTestId("segment-Staff");
  await expect(card.getByTestId("segment-audience")).toHaveText("email ends with @acme.com");
  await expect(card).toContainText("Not used");
  await expect(card).toContainText("v1");
  // The create form is empty again for the next one.
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("");

  await card.getByRole("button", { name: "Edit Staff" }).click();
  await card.getByLabel("Values").fill("@acme.com, @acme.io");
  await card.getByLabel("Any case").check();
  await card.getByRole("button", { name: "Add constraint" }).click();
  const second = card.getByTestId(/^segment-\d+-1$/);
  await second.getByLabel("Context field").fill("appVersion");
  await second.getByLabel("Operator").selectOption("SEMVER_GTE");
  await second.getByLabel("Value").fill("two");
  await card.getByRole("button", { name: "Save segment" }).click();
  await expect(second.getByRole("alert")).toContainText("must be a semantic version");
  await second.getByLabel("Value").fill("2.0.0");
  await card.getByRole("button", { name: "Save segment" }).click();

  await expect(card.getByTestId("segment-audience")).toHaveText(
    "email ends with @acme.com or @acme.io (any case) and appVersion is at least version 2.0.0",
  );
  await expect(card).toContainText("v2");
  await page.reload();
  await expect(page.getByTestId("segment-Staff").getByTestId("segment-audience")).toContainText("@acme.io");

  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toContainText("segment.update");
});

test("editing a segment a live rollout uses asks for confirmation, names the rollout, and saves once confirmed", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: "/segments" });
  const headers = fromPage(page);
  const made = await page.request.post("/api/v1/segments", {
    headers,
    data: { name: "Beta testers", constraints: [{ contextName: "tenant", operator: "IN", values: ["t-1", "t-2"] }] },
  });
  expect(made.status()).toBe(201);
  const segment = (await made.json()) as { id: number };
  const key = `segment-rollout-${Date.now()}`;
  expect((await page.request.post("/api/v1/flags", { headers, data: { key } })).status()).toBe(201);
  const targeted = await page.request.patch(`/api/v1/flags/${key}/environments/production`, {
    headers,
    data: { version: 1, targeting: { strategies: [{ rollout: 100, segments: [segment.id] }] } },
  });
  expect(targeted.status()).toBe(200);
  const rollout = await page.request.post("/api/v1/rollouts", {
    headers,
    data: { flagKey: key, environment: "production", phases: [{ name: "10 %", percent: 10, minSoakSeconds: 0 }] },
  });
  const { id } = (await rollout.json()) as { id: string };
  expect((await page.request.post(`/api/v1/rollouts/${id}/advance`, { headers, data: { version: 1 } })).status()).toBe(200);

  await page.reload();
  const card = page.getByTestId("segment-Beta testers");
  await expect(card).toContainText("Used by 1 flag state");
  await expect(card).toContainText("1 live rollout");
  await card.getByRole("button", { name: "Edit Beta testers" }).click();
  await card.getByLabel("Values").fill("t-1, t-2, t-3");
  await card.getByRole("button", { name: "Save segment" }).click();

  const confirm = card.getByTestId("segment-confirm");
  await expect(confirm).toContainText("used by a live rollout");
  await expect(confirm.getByRole("link", { name: `${key} in production` })).toHaveAttribute("href", `/rollouts/${id}`);
  await expect(card).toContainText("v1"); // not saved yet
  await confirm.getByLabel("Reason (recorded in the audit log)").fill("t-3 joins the beta");
  const understood = confirm.getByLabel("I understand: change the audience of these rollouts");
  await understood.check();
  // Meanwhile a second rollout starts on a flag that uses the segment: the confirmation did not name it.
  const otherKey = `${key}-b`;
  expect((await page.request.post("/api/v1/flags", { headers, data: { key: otherKey } })).status()).toBe(201);
  const otherTargeted = await page.request.patch(`/api/v1/flags/${otherKey}/environments/production`, {
    headers,
    data: { version: 1, targeting: { strategies: [{ rollout: 100, segments: [segment.id] }] } },
  });
  expect(otherTargeted.status()).toBe(200);
  const other = (await (
    await page.request.post("/api/v1/rollouts", {
      headers,
      data: { flagKey: otherKey, environment: "production", phases: [{ name: "10 %", percent: 10, minSoakSeconds: 0 }] },
    })
  ).json()) as { id: string };
  expect((await page.request.post(`/api/v1/rollouts/${other.id}/advance`, { headers, data: { version: 1 } })).status()).toBe(200);
  await card.getByRole("button", { name: "Save segment" }).click();
  await expect(confirm.getByTestId("segment-confirm-more")).toContainText(
    `Not saved: a live rollout started using it since you confirmed (${otherKey} in production)`,
  );
  await expect(confirm.getByRole("link", { name: `${otherKey} in production` })).toBeVisible();
  await expect(understood).not.toBeChecked();
  await expect(card).toContainText("v1");
  // The card's counts follow the answer, not the page as it loaded (the form keeps its edit).
  await expect(card).toContainText("2 live rollouts");
  await expect(card).toContainText("Used by 2 flag states");
  await expect(card.getByLabel("Values")).toHaveValue("t-1, t-2, t-3");
  await understood.check();
  await card.getByRole("button", { name: "Save segment" }).click();
  await expect(card.getByTestId("segment-audience")).toHaveText("tenant is one of t-1, t-2 or t-3");
  await expect(card).toContainText("v2");
});

test("on a phone the segments come first, and New segment unfolds the form with focus moving in by Tab", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, "engineer@rollgate.dev", { to: "/segments" });
  const form = newSegmentForm(page);
  await expect(form).toBeHidden();
  await expect(page.getByRole("heading", { name: /^\d+ segments?$/ })).toBeInViewport();
  await page.getByRole("link", { name: "New segment", exact: true }).click();
  await expect(form.getByLabel("Name", { exact: true })).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(form.getByLabel("Name", { exact: true })).toBeFocused();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test("a viewer has no New segment link or form, at a phone's size either", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, "viewer@rollgate.dev", { to: "/segments" });
  await expect(page.getByRole("heading", { name: "Segments", level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "New segment", exact: true })).toHaveCount(0);
  await expect(newSegmentForm(page)).toHaveCount(0);
});
