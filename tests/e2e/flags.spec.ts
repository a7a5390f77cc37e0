import { expect, test } from "./test";
import { fromPage, saveProduction, signIn } from "./helpers";

test("signed-out visitors land on sign-in; a wrong password shows a form error", async ({ page }) => {
  await page.goto("/flags");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fflags$/);
  await expect(page.getByTestId("demo-accounts")).toContainText("engineer@rollgate.dev");
  await page.getByLabel("Email").fill("engineer@rollgate.dev");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText(
    "Email or password is incorrect, or too many failed attempts: try again in a few minutes",
  );
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fflags$/);
});

test("an engineer edits a rollout percentage and it persists after reload", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev");
  await expect(page.getByTestId("flag-row-messaging-v2")).toContainText("Rolling out · 10%");
  await page.getByRole("link", { name: "checkout-redesign" }).click();

  const staging = page.getByTestId("env-staging");
  await expect(staging.getByTestId("version")).toHaveText("v2");
  await staging.getByLabel("staging rollout percentage").fill("35");
  await staging.getByRole("button", { name: "Save staging" }).click();
  await expect(staging.getByTestId("version")).toHaveText("v3");

  await page.reload();
  await expect(page.getByTestId("env-staging").getByLabel("staging rollout percentage")).toHaveValue("35");
  await expect(page.getByTestId("env-staging")).toContainText("Rolling out · 35%");

  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toContainText("flag_state.update");
  await expect(page.getByTestId("audit-row").first()).toContainText("rolloutPercent 50 → 35");
});

test("bad input shows a field error and changes nothing", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: "/flags/dark-mode" });
  const prod = page.getByTestId("env-production");
  await prod.getByLabel("production rollout percentage").fill("150");
  await saveProduction(page, "testing the limits");
  await expect(prod.getByRole("alert")).toHaveText("must be between 0 and 100");
  // What was typed is still there to correct.
  await expect(prod.getByLabel("production rollout percentage")).toHaveValue("150");
  await page.reload();
  await expect(page.getByTestId("env-production").getByTestId("version")).toHaveText("v2");
});

test("two tabs editing the same flag: the second save gets a conflict dialog with both values and who changed it", async ({ context }) => {
  const tabA = await context.newPage();
  await signIn(tabA, "engineer@rollgate.dev", { to: "/flags/checkout-redesign" });
  const tabB = await context.newPage();
  await tabB.goto("/flags/checkout-redesign");

  const prodA = tabA.getByTestId("env-production");
  const prodB = tabB.getByTestId("env-production");
  await expect(prodB.getByTestId("version")).toHaveText("v2");

  await prodA.getByRole("checkbox", { name: "Enabled" }).check();
  await prodA.getByLabel("production rollout percentage").fill("25");
  await saveProduction(tabA, "ticket 4121: start at a quarter");
  await expect(prodA.getByTestId("version")).toHaveText("v3");

  await prodB.getByLabel("production rollout percentage").fill("50");
  await saveProduction(tabB, "my own plan");
  const dialog = tabB.getByRole("dialog");
  await expect(dialog).toContainText("Someone else changed this flag");
  await expect(dialog.getByTestId("conflict-percent")).toHaveText("25%");
  await expect(dialog.getByTestId("conflict-yours-percent")).toHaveText("50%");
  await expect(dialog.getByTestId("conflict-by")).toHaveText("engineer@rollgate.dev");

  await dialog.getByRole("button", { name: "Reload latest" }).click();
  await expect(dialog).toBeHidden();
  await expect(prodB.getByLabel("production rollout percentage")).toHaveValue("25");
  await expect(prodB.getByTestId("version")).toHaveText("v3");

  // Retrying on top of the latest version succeeds.
  await prodB.getByLabel("production rollout percentage").fill("50");
  await saveProduction(tabB, "my own plan, on top of theirs");
  await expect(prodB.getByTestId("version")).toHaveText("v4");
  await tabA.reload();
  await expect(tabA.getByTestId("env-production").getByLabel("production rollout percentage")).toHaveValue("50");
});

test("changes made elsewhere show up live: the list refreshes, an open edit page offers to load them", async ({ context }) => {
  const watcher = await context.newPage();
  await signIn(watcher, "engineer@rollgate.dev");
  const editor = await context.newPage();
  await editor.goto("/flags/search-ranking-ml");

  const staging = editor.getByTestId("env-staging");
  await staging.getByLabel("staging rollout percentage").fill("20");
  await staging.getByRole("button", { name: "Save staging" }).click();
  await expect(staging.getByTestId("version")).toHaveText("v3");
  await expect(watcher.getByTestId("flag-row-search-ranking-ml")).toContainText("Rolling out · 20%"); // no reload

  await watcher.goto("/flags/search-ranking-ml");
  await expect(watcher.getByTestId("env-production").getByTestId("version")).toHaveText("v2");
  const prod = editor.getByTestId("env-production");
  await prod.getByLabel("production rollout percentage").fill("60");
  await saveProduction(editor, "widen the ranking test");
  await expect(prod.getByTestId("version")).toHaveText("v3");

  const notice = watcher.getByTestId("flag-changed-notice");
  await expect(notice).toContainText("Someone changed this flag in production");
  await notice.getByRole("button", { name: "Load the latest" }).click();
  await expect(notice).toBeHidden();
  await expect(watcher.getByTestId("env-production").getByLabel("production rollout percentage")).toHaveValue("60");
});

test("an engineer edits a description and the raw-event sampling, and archives a flag; a flag mid-rollout cannot be archived", async ({
  page,
}) => {
  await signIn(page, "engineer@rollgate.dev");
  await page.getByRole("link", { name: "messaging-v2" }).click();
  await page.getByRole("button", { name: "Archive flag…" }).click();
  await page.getByRole("textbox", { name: /^Reason(?! \(required)/ }).fill("trying while rolling out");
  await page.getByRole("button", { name: "Archive messaging-v2" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "rollout in progress" })).toBeVisible();

  await page.goto("/flags");
  await page.getByLabel("Key").fill("short-lived");
  await page.getByRole("button", { name: "Create flag" }).click();
  await expect(page).toHaveURL(/\/flags\/short-lived$/);
  await page.getByLabel("Description").fill("Temporary experiment");
  await expect(page.getByLabel("Raw events kept (%)")).toHaveValue("0");
  await page.getByLabel("Raw events kept (%)").fill("250");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "between 0 and 100" })).toBeVisible();
  await page.getByLabel("Raw events kept (%)").fill("12.5");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Settings saved")).toBeVisible();
  await page.reload();
  await expect(page.getByText("Temporary experiment").first()).toBeVisible();
  await expect(page.getByLabel("Raw events kept (%)")).toHaveValue("12.5");

  await page.getByRole("button", { name: "Archive flag…" }).click();
  await page.getByRole("button", { name: "Archive short-lived" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "say why" })).toBeVisible();
  await page.getByRole("textbox", { name: /^Reason(?! \(required)/ }).fill("experiment over");
  await page.getByRole("button", { name: "Archive short-lived" }).click();
  await expect(page).toHaveURL(/\/flags$/);
  await expect(page.getByTestId("flag-row-short-lived")).toHaveCount(0);
});

test("two tabs editing a flag's settings: the later save is refused with what changed, keeps its own edits over theirs, and lands", async ({
  context,
}) => {
  const tabA = await context.newPage();
  await signIn(tabA, "engineer@rollgate.dev", { to: "/flags" });
  await tabA.getByLabel("Key").fill("settings-two-tabs");
  await tabA.getByRole("button", { name: "Create flag" }).click();
  await expect(tabA).toHaveURL(/\/flags\/settings-two-tabs$/);
  const tabB = await context.newPage();
  await tabB.goto("/flags/settings-two-tabs");
  await expect(tabB.getByLabel("Owner")).toHaveValue("");

  await tabA.getByLabel("Description").fill("Search ranking, second try");
  await tabA.getByRole("button", { name: "Save settings" }).click();
  await expect(tabA.getByText("Settings saved")).toBeVisible();

  await tabB.getByLabel("Owner").fill("team-search");
  await tabB.getByRole("button", { name: "Save settings" }).click();
  const conflict = tabB.getByRole("alert").filter({ hasText: "someone else saved these settings" });
  await expect(conflict).toContainText("Description");
  await expect(conflict).toContainText("now “Search ranking, second try”, yours “(empty)”");
  await expect(conflict).toContainText("now “(empty)”, yours “team-search”");
  await expect(tabB.getByText("Settings saved")).toHaveCount(0);

  // Their description comes in; the owner typed here, a field they left alone, stays.
  await conflict.getByRole("button", { name: "Load their settings" }).click();
  await expect(conflict).toBeHidden();
  await expect(tabB.getByLabel("Description")).toHaveValue("Search ranking, second try");
  await expect(tabB.getByLabel("Owner")).toHaveValue("team-search");
  await tabB.getByRole("button", { name: "Save settings" }).click();
  await expect(tabB.getByText("Settings saved")).toBeVisible();
  await tabA.reload();
  await expect(tabA.getByLabel("Description")).toHaveValue("Search ranking, second try");
  await expect(tabA.getByLabel("Owner")).toHaveValue("team-search");
});

test("after a conflict, an editor can deliberately save over the other change", async ({ context }) => {
  const tabA = await context.newPage();
  await signIn(tabA, "engineer@rollgate.dev", { to: "/flags/dark-mode" });
  const tabB = await context.newPage();
  await tabB.goto("/flags/dark-mode");
  const stagingA = tabA.getByTestId("env-staging");
  const stagingB = tabB.getByTestId("env-staging");

  await stagingA.getByLabel("staging rollout percentage").fill("15");
  await stagingA.getByRole("button", { name: "Save staging" }).click();
  await expect(stagingA.getByTestId("version")).toHaveText("v3");

  await stagingB.getByLabel("staging rollout percentage").fill("40");
  await stagingB.getByRole("button", { name: "Save staging" }).click();
  const dialog = tabB.getByRole("dialog");
  await expect(dialog.getByTestId("conflict-percent")).toHaveText("15%");
  await dialog.getByRole("button", { name: "Overwrite with mine" }).click();
  await expect(dialog).toBeHidden();
  await expect(stagingB.getByTestId("version")).toHaveText("v4");
  await expect(stagingB.getByLabel("staging rollout percentage")).toHaveValue("40");

  await tabB.goto("/audit?target=dark-mode&action=flag_state");
  await expect(tabB.getByTestId("audit-row").first()).toContainText("rolloutPercent 15 → 40");
  await expect(tabB.getByTestId("audit-row").nth(1)).toContainText("rolloutPercent 0 → 15");
});

test("five tabs of flag pages still leave the browser a connection to save with", async ({ context }) => {
  // A browser keeps six connections per origin; every open page holds one for the live stream (shared
  // by all its views), so five tabs leave one. Before it was shared, three tabs took all six.
  const first = await context.newPage();
  await signIn(first, "engineer@rollgate.dev", { to: false });
  const key = `e2e-tabs-${Date.now().toString(36)}`;
  expect((await first.request.post("/api/v1/flags", { headers: fromPage(first), data: { key } })).status()).toBe(201);
  const tabs = [first, ...(await Promise.all(Array.from({ length: 4 }, () => context.newPage())))];
  for (const tab of tabs) {
    await tab.goto(`/flags/${key}`);
    await expect(tab.getByTestId("metrics-charts")).toBeVisible();
  }
  const last = tabs.at(-1)!;
  const staging = last.getByTestId("env-staging");
  await expect(staging.getByTestId("version")).toHaveText("v1");
  await staging.getByLabel("staging rollout percentage").fill("15");
  await staging.getByRole("button", { name: "Save staging" }).click();
  await expect(staging.getByTestId("version")).toHaveText("v2");
});
