import { expect, test, type Browser, type Page } from "./test";
import { fromPage, pageWithoutLiveUpdates, signIn, type SignInOptions } from "./helpers";

// Issue 24's rules, each at a desktop and a phone size: a conditional approval's condition is shown
// and acknowledged at Advance; a time condition holds the gate; whoever edited any version of the
// plan cannot approve it (the dual-role case); on-call's widening rollback is refused; the plan
// editor does not scroll sideways.
const SIZES = [
  ["desktop", 1440, 900],
  ["phone", 390, 844],
] as const;

async function personIn(browser: Browser, email: string, width: number, height: number, options: SignInOptions = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
  await signIn(page, email, options);
  return page;
}

/** The page's session calling the API, failing the test on anything but 2xx. */
function apiOf(page: Page) {
  return async (method: "POST" | "PATCH" | "GET", path: string, data?: unknown) => {
    const res = await page.request.fetch(path, { method, data, headers: fromPage(page) });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    return res.json();
  };
}

const phases = [
  { name: "10 %", percent: 10, minSoakSeconds: 0 },
  { name: "50 %", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
];

// An acknowledgement covers the conditions that were on screen, nothing signed after. Without the
// live stream the advance is refused; with it the new conditions appear and the tick is cleared.
test("conditions replaced while Advance is open: refused without the live stream, the tick cleared with it", async ({ browser }) => {
  test.setTimeout(90_000);
  const offline = await pageWithoutLiveUpdates(browser, "engineer@rollgate.dev", { to: false });
  const priya = await personIn(browser, "po@rollgate.dev", 1440, 900, { to: false });
  const asErin = apiOf(offline);
  const sign = (id: string, conditions: string, supersedes?: string) =>
    apiOf(priya)("POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      decision: "conditional",
      riskLevel: "low",
      reviewed: ["change"],
      signature: "Priya Product",
      conditions,
      ...(supersedes ? { supersedes } : {}),
    });
  const key = `e2e-rules-reread-${Date.now().toString(36)}`;
  await asErin("POST", "/api/v1/flags", { key });
  const { id } = await asErin("POST", "/api/v1/rollouts", { flagKey: key, environment: "production", phases });
  await asErin("POST", `/api/v1/rollouts/${id}/advance`, { version: 1 });
  const first = await sign(id, "Only with support on call");

  await offline.goto(`/rollouts/${id}`);
  await offline.getByRole("button", { name: "Advance to 50 %" }).click();
  let dialog = offline.getByRole("dialog");
  await expect(dialog.getByTestId("approval-conditions")).toContainText("“Only with support on call” — Priya Product");
  await dialog.getByRole("checkbox", { name: /I have read these conditions/ }).check();
  const second = await sign(id, "Only after the sale", first.id);
  await dialog.getByRole("button", { name: "Advance to 50 %" }).click();
  await expect(dialog.getByRole("alert")).toContainText("conditions were added since you read them: “Only after the sale” (Priya Product)");
  expect((await asErin("GET", `/api/v1/rollouts/${id}`)).currentPhase).toBe(0);
  // The refusal redraws the dialog with what is there now, the tick cleared.
  await expect(dialog.getByTestId("approval-conditions")).toContainText("“Only after the sale” — Priya Product");
  await expect(dialog.getByRole("checkbox", { name: /I have read these conditions/ })).not.toBeChecked();

  const erin = await personIn(browser, "engineer@rollgate.dev", 1440, 900, { to: false });
  await erin.goto(`/rollouts/${id}`);
  await erin.getByRole("button", { name: "Advance to 50 %" }).click();
  dialog = erin.getByRole("dialog");
  const acknowledge = dialog.getByRole("checkbox", { name: /I have read these conditions/ });
  await expect(dialog.getByTestId("approval-conditions")).toContainText("“Only after the sale” — Priya Product");
  await acknowledge.check();
  await sign(id, "Only on a weekday", second.id);
  await expect(dialog.getByTestId("approval-conditions")).toContainText("“Only on a weekday” — Priya Product");
  await expect(acknowledge).not.toBeChecked();
  await acknowledge.check();
  await dialog.getByRole("button", { name: "Advance to 50 %" }).click();
  await expect.poll(async () => (await asErin("GET", `/api/v1/rollouts/${id}`)).currentPhase).toBe(1);
  for (const p of [offline, priya, erin]) await p.context().close();
});

// An admin's override covers the red gates on screen. Without the live stream a gate that turned red
// since is refused; with it the dialog shows the new red gate and the override box is cleared.
test("a gate turning red while an admin's override is open: refused without the live stream, the box cleared with it", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const offline = await pageWithoutLiveUpdates(browser, "admin@rollgate.dev", { to: false });
  const priya = await personIn(browser, "po@rollgate.dev", 1440, 900, { to: false });
  const erin = await personIn(browser, "engineer@rollgate.dev", 1440, 900, { to: false });
  const asErin = apiOf(erin);
  const sign = (id: string, extra: object) =>
    apiOf(priya)("POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      riskLevel: "low",
      reviewed: ["change"],
      signature: "Priya Product",
      ...extra,
    });
  const key = `e2e-rules-override-${Date.now().toString(36)}`;
  await asErin("POST", "/api/v1/flags", { key });
  const { id } = await asErin("POST", "/api/v1/rollouts", { flagKey: key, environment: "production", phases });
  await asErin("POST", `/api/v1/rollouts/${id}/advance`, { version: 1 });

  await offline.goto(`/rollouts/${id}`);
  await offline.getByRole("button", { name: "Advance to 50 %" }).click();
  let dialog = offline.getByRole("dialog");
  await expect(dialog).toContainText("1 gate is red:");
  await dialog.getByRole("checkbox", { name: /Override as admin/ }).check();
  await dialog.getByLabel(/^Reason/).fill("the approver is on leave; signed off by mail");
  // The approval arrives with a time condition: approvals turns green, conditions red.
  const conditional = await sign(id, { decision: "conditional", conditions: "After the freeze", notBefore: "2030-01-01T00:00:00Z" });
  await dialog.getByRole("button", { name: "Advance to 50 %" }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "gates turned red since you chose to override: approval condition not met: not before 2030-01-01 00:00 UTC (Priya Product)",
  );
  expect((await asErin("GET", `/api/v1/rollouts/${id}`)).currentPhase).toBe(0);
  // The refusal redraws the dialog with the gates as they are now, the override box cleared.
  await expect(dialog).toContainText("not before 2030-01-01 00:00 UTC (Priya Product)");
  await expect(dialog.getByRole("checkbox", { name: /Override as admin/ })).not.toBeChecked();

  const admin = await personIn(browser, "admin@rollgate.dev", 1440, 900, { to: false });
  await admin.goto(`/rollouts/${id}`);
  await admin.getByRole("button", { name: "Advance to 50 %" }).click();
  dialog = admin.getByRole("dialog");
  const override = dialog.getByRole("checkbox", { name: /Override as admin/ });
  await expect(dialog).toContainText("not before 2030-01-01 00:00 UTC (Priya Product)");
  await override.check();
  // Priya replaces her form with a rejection: the conditions gate goes, the approvals gate is red again.
  await sign(id, { decision: "rejected", reason: "Not before the freeze ends", supersedes: conditional.id });
  await expect(dialog).toContainText("Not before the freeze ends");
  await expect(override).not.toBeChecked();
  await override.check();
  await dialog.getByLabel(/^Reason/).fill("the freeze was lifted early; approved by the release board");
  await dialog.getByRole("button", { name: "Advance to 50 %" }).click();
  await expect.poll(async () => (await asErin("GET", `/api/v1/rollouts/${id}`)).currentPhase).toBe(1);
  for (const p of [offline, priya, erin, admin]) await p.context().close();
});

for (const [size, width, height] of SIZES) {
  test(`conditions at Advance, a time condition, and the plan editor (${size})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const erin = await personIn(browser, "engineer@rollgate.dev", width, height, { to: false });
    const priya = await personIn(browser, "po@rollgate.dev", width, height, { to: false });
    const asErin = apiOf(erin);
    const asPriya = apiOf(priya);
    const sign = (id: string, extra: object) =>
      asPriya("POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
        decision: "conditional",
        riskLevel: "low",
        reviewed: ["change"],
        signature: "Priya Product",
        ...extra,
      });
    const live = async (suffix: string) => {
      const key = `e2e-rules-${size}-${suffix}-${Date.now().toString(36)}`;
      await asErin("POST", "/api/v1/flags", { key });
      const r = await asErin("POST", "/api/v1/rollouts", { flagKey: key, environment: "production", phases });
      await asErin("POST", `/api/v1/rollouts/${r.id}/advance`, { version: 1 });
      return r.id as string;
    };

    // A condition is quoted in the Advance confirmation and must be ticked there.
    const withCondition = await live("cond");
    await sign(withCondition, { conditions: "Only with support on call" });
    await erin.goto(`/rollouts/${withCondition}`);
    await erin.getByRole("button", { name: "Advance to 50 %" }).click();
    const dialog = erin.getByRole("dialog");
    await expect(dialog.getByTestId("approval-conditions")).toContainText("“Only with support on call” — Priya Product");
    const acknowledge = dialog.getByRole("checkbox", { name: /I have read these conditions/ });
    await expect(acknowledge).not.toBeChecked();
    await acknowledge.check();
    await dialog.getByRole("button", { name: "Advance to 50 %" }).click();
    await expect.poll(async () => (await asErin("GET", `/api/v1/rollouts/${withCondition}`)).currentPhase).toBe(1);

    // A time condition holds the gate, and Advance is not offered.
    const withTime = await live("time");
    await sign(withTime, { conditions: "After the freeze", notBefore: "2030-01-01T00:00:00Z" });
    await erin.goto(`/rollouts/${withTime}`);
    await expect(erin.locator('[data-gate="conditions"]')).toHaveAttribute("data-ok", "false");
    await expect(erin.locator('[data-gate="conditions"]')).toContainText("not before 2030-01-01 00:00 UTC (Priya Product)");
    await erin.getByRole("button", { name: "Advance to 50 %" }).click();
    await expect(erin.getByRole("dialog").getByRole("button", { name: "Advance to 50 %" })).toBeDisabled();
    await erin.keyboard.press("Escape");

    // The plan editor fits the screen.
    await erin.getByText("Edit plan").click();
    await expect(erin.getByRole("form", { name: "Edit plan" })).toBeVisible();
    expect(await erin.evaluate(() => document.documentElement.scrollWidth)).toBe(width);
    // Every phase field is wide enough to show what it holds (a phone gets a card per phase).
    const fields = erin.getByRole("form", { name: "Edit plan" }).locator('input[aria-label^="Phase "]');
    expect(await fields.count()).toBeGreaterThanOrEqual(8);
    for (const field of await fields.all()) {
      const label = await field.getAttribute("aria-label");
      expect((await field.boundingBox())!.width, label!).toBeGreaterThanOrEqual(56);
      expect(await field.evaluate((el) => el.scrollWidth <= el.clientWidth), label!).toBe(true);
    }

    for (const p of [erin, priya]) await p.context().close();
  });

  test(`four eyes over every plan version, and on-call's widening rollback (${size})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const stamp = `${size}-${Date.now().toString(36)}`;
    // A person who both engineers and owns product, created by the admin.
    const admin = await personIn(browser, "admin@rollgate.dev", 1440, 900, { to: "/admin" });
    const form = admin.locator("div", { has: admin.getByRole("heading", { name: "Add a user" }) }).last();
    const email = `both-${stamp}@example.com`;
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Name").fill("Bo Both");
    await form.getByLabel("Initial password").fill("both-password-1");
    await form.getByRole("checkbox", { name: "Engineer" }).check();
    await form.getByRole("checkbox", { name: "Product owner" }).check();
    await form.getByRole("button", { name: /Create user/ }).click();
    await expect(form.getByRole("status")).toContainText(`Created ${email}`);

    const erin = await personIn(browser, "engineer@rollgate.dev", width, height, { to: false });
    const bo = await personIn(browser, email, width, height, { password: "both-password-1" });
    const asErin = apiOf(erin);
    const asBo = apiOf(bo);
    const key = `e2e-eyes-${stamp}`;
    await asErin("POST", "/api/v1/flags", { key });
    const r = await asErin("POST", "/api/v1/rollouts", { flagKey: key, environment: "production", phases });
    // Bo edits phase 2; then Erin edits the impact text: Bo is no longer the last editor.
    let view = await asBo("PATCH", `/api/v1/rollouts/${r.id}`, {
      version: 1,
      phases: [phases[0], { ...phases[1], minSoakSeconds: 600 }],
    });
    view = await asErin("PATCH", `/api/v1/rollouts/${r.id}`, {
      version: view.version,
      impact: { riskLevel: "medium", risks: "new write path" },
    });
    expect(view.planEditors).toHaveLength(2);
    await bo.goto(`/rollouts/${r.id}/phases/1/approve`);
    await expect(bo.getByTestId("approval-refused")).toContainText("edited");
    const refused = await bo.request.post(`/api/v1/rollouts/${r.id}/phases/1/approvals`, {
      headers: fromPage(bo),
      data: { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "Bo Both" },
    });
    expect(refused.status()).toBe(403);

    // The flag served everyone before this rollout: on-call's roll back would widen it, and is refused.
    const widen = `e2e-widen-${stamp}`;
    await asErin("POST", "/api/v1/flags", { key: widen });
    const flag = await asErin("GET", `/api/v1/flags/${widen}`);
    await asErin("PATCH", `/api/v1/flags/${widen}/environments/production`, {
      version: flag.environments.production.version,
      enabled: true,
      rolloutPercent: 100,
      reason: "everyone has it",
    });
    const w = await asErin("POST", "/api/v1/rollouts", { flagKey: widen, environment: "production", phases });
    await asErin("POST", `/api/v1/rollouts/${w.id}/advance`, { version: 1 });
    const omar = await personIn(browser, "oncall@rollgate.dev", width, height, { to: `/rollouts/${w.id}` });
    await omar.getByRole("button", { name: "Roll back", exact: true }).click();
    await expect(omar.getByRole("dialog").getByTestId("widening")).toContainText("use Kill to turn the flag off");
    await expect(omar.getByRole("dialog").getByRole("button", { name: "Roll back now" })).toBeDisabled();
    const api = await omar.request.post(`/api/v1/rollouts/${w.id}/rollback`, {
      headers: fromPage(omar),
      data: { version: 2, reason: "bad" },
    });
    expect(api.status()).toBe(403);
    expect(await omar.evaluate(() => document.documentElement.scrollWidth)).toBe(width);

    for (const p of [admin, erin, bo, omar]) await p.context().close();
  });
}
