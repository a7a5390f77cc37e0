import { expect, test, type Browser, type Page } from "./test";
import { fromPage, signIn, type SignInOptions } from "./helpers";

/**
 * The workflow of the seeds with three people in separate browser contexts: an admin grants roles,
 * a requester (engineer and product owner at once) plans and starts a rollout, another product owner
 * signs, and nobody approves their own request.
 */
async function personIn(browser: Browser, email: string, options: SignInOptions = {}): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, options);
  return page;
}

test("plan from the playbook, sign a conditional approval, advance; self-approval refused; an edit voids the approval", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const stamp = Date.now().toString(36);
  const flagKey = `e2e-rollout-${stamp}`;
  const requesterEmail = `eve-${stamp}@example.com`;

  // The admin creates a person who both engineers and owns product.
  const admin = await personIn(browser, "admin@rollgate.dev", { to: "/admin" });
  const users = admin.locator("div", { has: admin.getByRole("heading", { name: "Add a user" }) }).last();
  await users.getByLabel("Email").fill(requesterEmail);
  await users.getByLabel("Name").fill("Eve Both");
  await users.getByLabel("Initial password").fill("eve-password-1");
  await users.getByRole("checkbox", { name: "Engineer" }).check();
  await users.getByRole("checkbox", { name: "Product owner" }).check();
  await users.getByRole("button", { name: /Create user/ }).click();
  await expect(users.getByRole("status")).toContainText(`Created ${requesterEmail}`);

  // Eve creates a flag and a plan from the playbook.
  const eve = await personIn(browser, requesterEmail, { password: "eve-password-1" });
  // As a product owner with the demo's messaging-v2 waiting, Eve lands on the approvals inbox.
  await expect(eve).toHaveURL(/\/approvals$/);
  await eve.goto("/flags");
  await eve.getByLabel("Key").fill(flagKey);
  await eve.getByRole("button", { name: "Create flag" }).click();
  await expect(eve).toHaveURL(new RegExp(`/flags/${flagKey}$`));
  await eve.getByRole("link", { name: "Plan a staged rollout…" }).click();
  await eve.getByLabel("Benefits").fill("Single-page checkout: fewer drop-offs");
  await eve.getByLabel("Risks and how they are mitigated").fill("Payment form rewritten; rollback is one click");
  // Nobody in the playbook's internal phase: refused, and said at the field that names them.
  await eve.getByRole("button", { name: "Create rollout plan" }).click();
  const internalUsers = eve.locator("label").filter({ hasText: "Internal users (targeting keys, one per line)" });
  await expect(internalUsers.getByRole("alert")).toHaveText(/^add the internal users' targeting keys or a segment/);
  await expect(eve.getByRole("alert").filter({ hasText: "The playbook needs internal users" })).toBeVisible();
  await internalUsers.getByRole("textbox").fill("qa-1\nqa-2");
  await eve.getByRole("button", { name: "Create rollout plan" }).click();
  await expect(eve).toHaveURL(/\/rollouts\/[0-9a-f-]{36}$/);
  const rolloutUrl = eve.url();
  const rolloutId = rolloutUrl.split("/").pop()!;
  await expect(eve.getByRole("heading", { name: /Rollout of/ })).toContainText(flagKey);
  await expect(eve.getByTestId("timeline").locator("li")).toHaveCount(4);
  await expect(eve.locator('[data-gate="approvals"]')).toHaveAttribute("data-ok", "false");

  // The requester may not approve their own request: the UI says so, the API refuses.
  await eve.goto(`/rollouts/${rolloutId}/phases/0/approve`);
  await expect(eve.getByTestId("approval-refused")).toContainText("You requested this rollout");
  const own = await eve.request.post(`/api/v1/rollouts/${rolloutId}/phases/0/approvals`, {
    headers: fromPage(eve),
    data: { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "Eve Both" },
  });
  expect(own.status()).toBe(403);

  // Eve ticks the Internal checklist; starting is still blocked by the missing approval.
  await eve.goto(rolloutUrl);
  for (const item of ["backup verified", "rollback tested", "monitoring in place"]) {
    await eve.getByRole("checkbox", { name: item }).click();
    await expect(eve.getByRole("checkbox", { name: item })).toHaveAttribute("aria-checked", "true");
  }
  await expect(eve.locator('[data-gate="checklist"]')).toHaveAttribute("data-ok", "true");
  await eve.getByRole("button", { name: "Start rollout" }).click();
  await expect(eve.getByTestId("consequence")).toContainText(`${flagKey} in production will serve “on” to its allowlist (2 keys)`);
  // The red gate is named and Start is not offered (an admin could override; Eve is not one).
  await expect(eve.getByRole("dialog")).toContainText("needs 1 approval, has 0");
  await expect(eve.getByRole("dialog")).toContainText("This step waits until they are green.");
  await expect(eve.getByRole("button", { name: "Start", exact: true })).toBeDisabled();
  await eve.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

  // Priya finds it in her inbox and signs a conditional approval.
  const priya = await personIn(browser, "po@rollgate.dev");
  await expect(priya.getByTestId("inbox-count")).toBeVisible();
  await priya.getByRole("link", { name: /^Approvals/ }).click();
  await priya.getByRole("link", { name: `${flagKey} in production: Internal` }).click();
  await expect(priya.getByRole("heading", { name: "Product owner approval: Internal" })).toBeVisible();
  // Each "I have reviewed" item opens what it names, and its tick sits under it.
  await expect(priya.getByText("Single-page checkout: fewer drop-offs")).toBeHidden();
  await review(priya, "impact assessment");
  await expect(priya.getByText("Single-page checkout: fewer drop-offs")).toBeVisible();
  await review(priya, "change");
  await expect(priya.locator('[data-review-item="change"]')).toContainText("off → on for 2 allowlisted keys");
  await review(priya, "rollback plan");
  // Nothing is preselected: a decision left out is refused, and the refused fields are marked.
  await priya.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(priya.locator("fieldset[data-invalid]")).toHaveCount(2);
  await expect(priya.locator("fieldset[data-invalid]").first()).toContainText("choose low, medium or high");
  await expect(priya.locator("fieldset[data-invalid]").last()).toContainText("choose approved, conditional or rejected");
  await priya.getByRole("radio", { name: "Low" }).check();
  await priya.getByRole("radio", { name: /Conditional/ }).check();
  await priya.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(priya.getByRole("alert").filter({ hasText: "conditions" }).first()).toBeVisible();
  await expect(priya.getByRole("alert").filter({ hasText: "type your name" }).first()).toBeVisible();
  await expect(priya.getByLabel(/Signature/)).toHaveAttribute("aria-invalid", "true");
  await priya.getByRole("textbox", { name: /Conditions/ }).fill("Only outside the Friday release window");
  // What she ticked survived the refused submit.
  await expect(priya.getByRole("checkbox", { name: "I have reviewed the rollback plan" })).toBeChecked();
  await priya.getByLabel(/Signature/).fill("Priya Product");
  await priya.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(priya).toHaveURL(new RegExp(`/rollouts/${rolloutId}\\?signed=1$`));
  await expect(priya.getByTestId("approvals").locator('[data-state="live"]')).toContainText("conditional");
  await expect(priya.getByTestId("approvals")).toContainText("Only outside the Friday release window");
  // Product owners sign; they do not advance.
  await expect(priya.getByRole("button", { name: "Start rollout" })).toHaveCount(0);

  // Eve's open page turns green by itself (the dashboard stream), without a reload.
  await expect(eve.getByTestId("gate-summary")).toHaveText(/all \d+ green/);
  await expect(eve.getByTestId("approvals")).toContainText("Priya Product");
  // Eve starts the rollout: the Internal audience gets the flag.
  await eve.getByRole("button", { name: "Start rollout" }).click();
  // Priya's condition is quoted in the confirmation, and Eve acknowledges it there.
  await expect(eve.getByTestId("approval-conditions")).toContainText("Only outside the Friday release window");
  await eve.getByRole("checkbox", { name: /I have read these conditions/ }).check();
  await eve.getByRole("button", { name: "Start", exact: true }).click();
  await expect(eve.getByRole("status").filter({ hasText: "Done" })).toContainText("phase 1 (Internal)");
  await expect(eve.getByTestId("timeline").locator('[data-phase-state="current"]')).toContainText("Internal");
  await expect(eve.getByTestId("timeline").locator('[data-phase-state="current"]')).toContainText("started by");
  const flag = await (await eve.request.get(`/api/v1/flags/${flagKey}`)).json();
  expect(flag.environments.production).toMatchObject({ enabled: true, rolloutPercent: 0, allowlist: ["qa-1", "qa-2"] });

  // Priya approves the 10 % phase; Eve then edits that phase, which voids the approval.
  await priya.goto(`/rollouts/${rolloutId}/phases/1/approve`);
  await review(priya, "change");
  await priya.getByRole("radio", { name: "Medium" }).check();
  await priya.getByRole("radio", { name: /Approved/ }).check();
  await priya.getByLabel(/Signature/).fill("Priya Product");
  await priya.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(priya).toHaveURL(/signed=1$/);
  await eve.reload();
  await expect(eve.locator('[data-gate="approvals"]')).toHaveAttribute("data-ok", "true");
  await eve.getByText("Edit plan").click();
  const editor = eve.getByRole("form", { name: "Edit plan" });
  await expect(editor).toContainText("Saving a change voids the 1 signed form");
  // A rate is typed as a percentage, and refused in that unit, with its column named.
  await editor.getByLabel("Phase 2 Min success %").fill("150");
  await editor.getByRole("button", { name: "Save plan" }).click();
  await expect(editor).toContainText("Phase 2: Min success %: must be a number from 0 to 100");
  // So is a link that is not http(s): said under Links, where it was typed.
  await editor.getByLabel(/^Links/).fill("ftp://files.example.com/design");
  await editor.getByRole("button", { name: "Save plan" }).click();
  await expect(editor.getByRole("alert").filter({ hasText: "must be an http(s) URL" })).toBeVisible();
  // A link with a comma in it stays one link (links are one per line, not comma-separated).
  await editor.getByLabel(/^Links/).fill("https://docs.example.com/plan?sections=risks,rollback");
  await editor.getByLabel("Phase 2 Min success %").fill("99");
  await editor.getByLabel("Phase 2 Percent").fill("15");
  await editor.getByRole("button", { name: "Save plan" }).click();
  await expect(eve.getByRole("status").filter({ hasText: "Saved as plan v2" })).toContainText("1 approval is void");
  await eve.reload();
  await expect(eve.locator('[data-gate="approvals"]')).toHaveAttribute("data-ok", "false");
  await expect(eve.locator('[data-gate="approvals"]')).toContainText("1 void after a plan change");
  await expect(eve.getByRole("region", { name: "Impact assessment" })).toContainText(
    "https://docs.example.com/plan?sections=risks,rollback",
  );
  await expect(eve.getByTestId("approvals").locator('[data-state="void"]')).toContainText("void: plan changed at v2");

  for (const p of [admin, eve, priya]) await p.context().close();
});

test("a roll back that would widen exposure says before → after: on-call is sent to Kill, an engineer must confirm", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const flagKey = `e2e-widen-${Date.now().toString(36)}`;
  const erin = await personIn(browser, "engineer@rollgate.dev", { to: false });
  const api = async (method: "POST" | "PATCH" | "GET", path: string, data?: unknown) => {
    const res = await erin.request.fetch(path, { method, data, headers: fromPage(erin) });
    expect(res.status(), `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };
  // The flag served everyone before the rollout started at 10 %: rolling back would restore 100 %.
  await api("POST", "/api/v1/flags", { key: flagKey });
  const flag = await api("GET", `/api/v1/flags/${flagKey}`);
  await api("PATCH", `/api/v1/flags/${flagKey}/environments/production`, {
    version: flag.environments.production.version,
    enabled: true,
    rolloutPercent: 100,
    reason: "everyone has it",
  });
  const rollout = await api("POST", "/api/v1/rollouts", {
    flagKey,
    environment: "production",
    phases: [
      { name: "10 %", percent: 10 },
      { name: "100 %", percent: 100 },
    ],
  });
  await api("POST", `/api/v1/rollouts/${rollout.id}/advance`, { version: 1 });

  const omar = await personIn(browser, "oncall@rollgate.dev", { to: `/rollouts/${rollout.id}` });
  await omar.getByRole("button", { name: "Roll back", exact: true }).click();
  let dialog = omar.getByRole("dialog");
  await expect(dialog.getByTestId("consequence")).toContainText("Exposure: 10 % → 100 %.");
  await expect(dialog.getByTestId("widening")).toContainText("On-call may only narrow exposure: use Kill to turn the flag off.");
  await expect(dialog.getByRole("button", { name: "Roll back now" })).toBeDisabled();

  await erin.goto(`/rollouts/${rollout.id}`);
  await erin.getByRole("button", { name: "Roll back", exact: true }).click();
  dialog = erin.getByRole("dialog");
  await expect(dialog.getByTestId("widening")).toContainText("This widens exposure: 10 % → 100 %.");
  await expect(dialog.getByLabel(/^Reason/)).toHaveAttribute("maxlength", "500");
  await dialog.getByLabel(/^Reason/).fill("the new path breaks checkout");
  const confirm = dialog.getByRole("checkbox", { name: "Widen exposure to 100 %" });
  await confirm.check();
  await dialog.getByRole("button", { name: "Roll back now" }).click();
  await expect.poll(async () => (await api("GET", `/api/v1/rollouts/${rollout.id}`)).status).toBe("rolled_back");
  const after = await api("GET", `/api/v1/flags/${flagKey}`);
  expect(after.environments.production).toMatchObject({ enabled: true, rolloutPercent: 100 });
});

/** Opens one "I have reviewed" item of the approval form and ticks it. */
async function review(page: Page, item: string) {
  await page.locator(`[data-review-item="${item}"] > summary`).click();
  await page.getByRole("checkbox", { name: `I have reviewed the ${item}` }).check();
}
