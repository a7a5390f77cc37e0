import { expect, test, type Browser, type Page } from "./test";
import { fromPage, signIn, type SignInOptions } from "./helpers";

// Issue #17, "the dashboard a person trusts at 3 a.m.": what a person sees before, during and after
// changing a flag by hand.

async function personIn(browser: Browser, email: string, options: SignInOptions = {}): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email, options);
  return page;
}

const stamp = () => Date.now().toString(36);

/** A new flag made through the API with the page's session (the same origin rules as the dashboard). */
async function newFlag(page: Page, key: string) {
  expect(
    (await page.request.post("/api/v1/flags", { headers: fromPage(page), data: { key, description: "made by trust.spec" } })).status(),
  ).toBe(201);
}

test("a production change is confirmed with what changes (before → after) and a required reason, then says it is saved", async ({
  browser,
}) => {
  const page = await personIn(browser, "engineer@rollgate.dev", { to: false });
  const key = `e2e-confirm-${stamp()}`;
  await newFlag(page, key);
  await page.goto(`/flags/${key}`);
  const prod = page.getByTestId("env-production");
  await prod.getByRole("checkbox", { name: "Enabled" }).check();
  await prod.getByLabel("production rollout percentage").fill("30");
  await prod.getByRole("button", { name: "Save production…" }).click();

  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("heading")).toHaveText(`Change ${key} in production?`);
  const changes = dialog.getByTestId("changes");
  await expect(changes.getByRole("row", { name: /Enabled/ })).toContainText("off");
  await expect(changes.getByRole("row", { name: /Enabled/ })).toContainText("on");
  await expect(changes.getByRole("row", { name: /Rollout percentage/ })).toContainText("0 %30 %");
  // No reason, no save; nothing has been written yet.
  const confirm = dialog.getByRole("button", { name: "Save production" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(/^Reason/).fill("ok");
  await expect(confirm).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(prod.getByTestId("version")).toHaveText("v1");
  // Cancelling kept the edit and the reason.
  await expect(prod.getByLabel("production rollout percentage")).toHaveValue("30");

  await prod.getByRole("button", { name: "Save production…" }).click();
  await dialog.getByLabel(/^Reason/).fill("ok, launch for 30 % after the go/no-go");
  await dialog.getByRole("button", { name: "Save production" }).click();
  await expect(dialog).toBeHidden();
  await expect(prod.getByTestId("version")).toHaveText("v2");
  await expect(prod.getByTestId("saved")).toHaveText("✓ Saved production: version 2");
  await expect(prod.getByLabel("production rollout percentage")).toHaveValue("30");

  await page.goto(`/audit?target=${key}&action=flag_state`);
  const row = page.getByTestId("audit-row").first();
  await expect(row).toContainText("rolloutPercent 0 → 30");
  await expect(row).toContainText("Reason: ok, launch for 30 % after the go/no-go");

  // Staging stays one click: no dialog there.
  await page.goto(`/flags/${key}`);
  const staging = page.getByTestId("env-staging");
  await staging.getByLabel("staging rollout percentage").fill("5");
  await staging.getByRole("button", { name: "Save staging" }).click();
  await expect(staging.getByTestId("saved")).toHaveText("✓ Saved staging: version 2");
});

test("forms keep what was typed after an error", async ({ browser }) => {
  const page = await personIn(browser, "engineer@rollgate.dev", { to: "/flags" });
  await page.getByLabel("Key").fill("Not A Valid Key!");
  await page.getByLabel("Description").fill("Guards the new onboarding");
  await page.getByRole("button", { name: "Create flag" }).click();
  await expect(page.getByRole("alert").first()).toContainText("starting with a letter or digit");
  await expect(page.getByLabel("Key")).toHaveValue("Not A Valid Key!");
  await expect(page.getByLabel("Description")).toHaveValue("Guards the new onboarding");
  // Correcting only the key is enough.
  const key = `e2e-kept-${stamp()}`;
  await page.getByLabel("Key").fill(key);
  await page.getByRole("button", { name: "Create flag" }).click();
  await expect(page).toHaveURL(new RegExp(`/flags/${key}$`));
  await expect(page.getByText("Guards the new onboarding").first()).toBeVisible();

  // The archive reason too.
  await page.getByRole("button", { name: "Archive flag…" }).click();
  await page.getByRole("textbox", { name: /^Reason(?! \(required)/ }).fill("x");
  await page.getByRole("button", { name: `Archive ${key}` }).click();
  await expect(page.getByRole("alert").filter({ hasText: "say why" })).toBeVisible();
  await expect(page.getByRole("textbox", { name: /^Reason(?! \(required)/ })).toHaveValue("x");

  // Sign-in keeps the email after a wrong password.
  const context = await browser.newContext();
  const signInPage = await context.newPage();
  await signInPage.goto("/sign-in");
  await signInPage.getByLabel("Email").fill("engineer@rollgate.dev");
  await signInPage.getByLabel("Password").fill("wrong-password");
  await signInPage.getByRole("button", { name: "Sign in" }).click();
  await expect(signInPage.locator("form").getByRole("alert")).toContainText("Email or password is incorrect");
  await expect(signInPage.getByLabel("Email")).toHaveValue("engineer@rollgate.dev");
  await context.close();
});

test("a viewer's open flag page shows an engineer's change live, without reloading", async ({ browser }) => {
  const engineer = await personIn(browser, "engineer@rollgate.dev", { to: false });
  const key = `e2e-live-${stamp()}`;
  await newFlag(engineer, key);
  const viewer = await personIn(browser, "viewer@rollgate.dev", { to: `/flags/${key}` });
  const staging = viewer.getByTestId("env-staging");
  await expect(staging.getByTestId("version")).toHaveText("v1");
  await expect(staging.getByLabel("staging rollout percentage")).toBeDisabled();
  let reloaded = false;
  viewer.on("load", () => (reloaded = true));

  const res = await engineer.request.patch(`/api/v1/flags/${key}/environments/staging`, {
    headers: fromPage(engineer),
    data: { version: 1, enabled: true, rolloutPercent: 42 },
  });
  expect(res.status()).toBe(200);
  await expect(staging.getByTestId("version")).toHaveText("v2");
  await expect(staging.getByLabel("staging rollout percentage")).toHaveValue("42");
  await expect(staging).toContainText("Rolling out · 42%");
  expect(reloaded).toBe(false);
});

test("during a live rollout a hand edit is an override: it needs a reason, is recorded on the rollout and pauses it", async ({
  browser,
}) => {
  const page = await personIn(browser, "engineer@rollgate.dev", { to: false });
  const key = `e2e-override-${stamp()}`;
  await newFlag(page, key);
  const created = await page.request.post("/api/v1/rollouts", {
    headers: fromPage(page),
    data: {
      flagKey: key,
      environment: "production",
      phases: [
        { name: "10 %", percent: 10, minSoakSeconds: 0 },
        { name: "100 %", percent: 100, minSoakSeconds: 0 },
      ],
    },
  });
  expect(created.status()).toBe(201);
  const rolloutId = (await created.json()).id as string;
  expect(
    (await page.request.post(`/api/v1/rollouts/${rolloutId}/advance`, { headers: fromPage(page), data: { version: 1 } })).status(),
  ).toBe(200);

  // The API refuses a plain edit and names the rollout.
  const refused = await page.request.patch(`/api/v1/flags/${key}/environments/production`, {
    headers: fromPage(page),
    data: { version: 2, rolloutPercent: 25 },
  });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).rollout.id).toBe(rolloutId);

  await page.goto(`/flags/${key}`);
  const prod = page.getByTestId("env-production");
  await expect(prod.getByTestId("rollout-owns-state")).toContainText("An active rollout (phase 10 %) sets this environment’s state");
  await expect(prod.getByRole("link", { name: "Change it on the rollout" })).toHaveAttribute("href", `/rollouts/${rolloutId}`);
  await prod.getByLabel("production rollout percentage").fill("25");
  await prod.getByRole("button", { name: "Override and save production…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("heading")).toHaveText("Override the rollout in production?");
  await expect(dialog).toContainText("the rollout is paused until someone resumes it");
  await expect(dialog.getByRole("button", { name: "Override and save" })).toBeDisabled();
  await dialog.getByLabel(/^Reason/).fill("error budget: hold at 25 % for the partner demo");
  await dialog.getByRole("button", { name: "Override and save" }).click();
  await expect(prod.getByTestId("saved")).toHaveText("✓ Saved production: version 3");

  await page.goto(`/rollouts/${rolloutId}`);
  await expect(page.getByText("paused", { exact: true })).toBeVisible();
  await expect(page.getByTestId("overrides")).toContainText(
    "engineer@rollgate.dev changed the flag by hand (on for 10 % → on for 25 %) and paused the rollout: “error budget: hold at 25 % for the partner demo”",
  );

  // An admin who is no engineer may change the state only as an override of the live (paused) rollout.
  const admin = await personIn(browser, "admin@rollgate.dev", { to: `/flags/${key}` });
  await expect(admin.getByTestId("env-staging")).toContainText("Engineers change flag state; admins may override a live rollout.");
  await expect(admin.getByTestId("env-staging").getByLabel("staging rollout percentage")).toBeDisabled();
  const adminProd = admin.getByTestId("env-production");
  await adminProd.getByLabel("production rollout percentage").fill("5");
  await adminProd.getByRole("button", { name: "Override and save production…" }).click();
  await admin
    .getByRole("dialog")
    .getByLabel(/^Reason/)
    .fill("partner asked to narrow it for the weekend");
  await admin.getByRole("dialog").getByRole("button", { name: "Override and save" }).click();
  await expect(adminProd.getByTestId("saved")).toHaveText("✓ Saved production: version 4");
  await admin.context().close();
});

test("each role lands on what needs them after signing in", async ({ browser }) => {
  for (const [email, path] of [
    ["po@rollgate.dev", "/approvals"], // the demo's messaging-v2 waits for a product owner's form
    ["oncall@rollgate.dev", "/overview"],
    ["engineer@rollgate.dev", "/flags"],
    ["viewer@rollgate.dev", "/flags"],
  ] as const) {
    // Through the form: where the sign-in itself sends each person.
    const page = await personIn(browser, email, { fresh: true });
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await page.context().close();
  }
});
