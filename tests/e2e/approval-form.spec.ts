import { expect, test, type Browser, type Page } from "./test";
import { startReceiver } from "../support/webhook-receiver";
import { axeViolations } from "./axe";
import { fromPage, pageWithoutLiveUpdates, signIn } from "./helpers";

// Issue 24: a product owner opens every "I have reviewed" item of the approval form, on a desktop and
// on a phone; each shows what it names (the demo's staging history among them), axe finds nothing
// with all of them open, and nothing scrolls sideways.
const SECTIONS: [item: string, shows: RegExp][] = [
  ["change", /production, phase 3 “50%”: on for 10 % → on for 50 %/],
  ["impact assessment", /Messages arrive in order and never twice/],
  ["deployment plan", /50% \(50 %\).*← this approval/],
  ["test results", /Staging: completed[\s\S]*at 100 % for 4 d[\s\S]*1 rollback/],
  ["rollback plan", /restores the flag to off[\s\S]*Exercised: a rollout of this flag was rolled back in Staging/],
  ["monitoring plan", /success criteria: success ≥ 99 %, errors ≤ 1 %, p95 ≤ 1000 ms, ≥ 5000 requests/],
  ["communication plan", /webhooks|nobody is notified/],
  ["current evidence", /on vs off|on\s+[\d,]+/],
];

for (const [name, width, height] of [
  ["desktop", 1440, 900],
  ["phone", 390, 844],
] as const) {
  test(`a product owner opens every reviewed section (${name})`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await signIn(page, "po@rollgate.dev", { to: false });
    const res = await page.request.get("/api/v1/rollouts?flagKey=messaging-v2");
    const rollouts = ((await res.json()) as { rollouts: { id: string; environment: string; currentPhase: number }[] }).rollouts;
    const rollout = rollouts.find((r) => r.environment === "production")!;
    await page.goto(`/rollouts/${rollout.id}/phases/${rollout.currentPhase + 1}/approve`);
    for (const [item, shows] of SECTIONS) {
      const section = page.locator(`[data-review-item="${item}"]`);
      const tick = page.getByRole("checkbox", { name: `I have reviewed the ${item}` });
      await expect(tick).toBeHidden();
      await section.locator("summary").click();
      await expect(section).toContainText(shows);
      await tick.check();
      await expect(section.locator("summary")).toContainText("✓ reviewed");
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(width);
    expect(await axeViolations(page)).toEqual([]);
  });
}

async function personIn(browser: Browser, email: string, width: number, height: number, to?: string | false): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
  await signIn(page, email, { to });
  return page;
}

/** The admin page's webhook table, where webhooks are added and deleted. */
const webhookSection = (page: Page) => page.locator("section", { has: page.getByRole("heading", { name: "Webhooks" }) });

// Issue 24's communication plan: an engineer chooses in the plan editor which of production's webhooks
// hear of the rollout's steps, and the product owner sees who is told and who is left out on the form.
for (const [name, width, height] of [
  ["desktop", 1440, 900],
  ["phone", 390, 844],
] as const) {
  test(`an engineer's communication plan is on the product owner's approval form (${name})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const stamp = `${name}-${Date.now().toString(36)}`;
    const team = `Team ${stamp}`;
    const pager = `Pager ${stamp}`;
    const receiver = await startReceiver();
    const admin = await personIn(browser, "admin@rollgate.dev", 1440, 900, "/admin");
    try {
      for (const [hook, path] of [
        [team, "/team"],
        [pager, "/pager"],
      ] as const) {
        const section = webhookSection(admin);
        await section.getByLabel("Environment").selectOption("production");
        await section.getByLabel("Name").fill(hook);
        await section.getByLabel("URL").fill(receiver.url(path));
        await section.getByRole("button", { name: "Add webhook" }).click();
        await expect(section.getByRole("button", { name: `Delete ${hook}` })).toBeVisible();
      }

      const erin = await personIn(browser, "engineer@rollgate.dev", width, height, false);
      const api = async (method: "POST" | "GET", path: string, data?: unknown) => {
        const res = await erin.request.fetch(path, { method, data, headers: fromPage(erin) });
        expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
        return res.json();
      };
      const key = `e2e-comm-${stamp}`;
      await api("POST", "/api/v1/flags", { key });
      const rollout = await api("POST", "/api/v1/rollouts", {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "10 %", percent: 10, minSoakSeconds: 0 },
          { name: "50 %", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
        ],
      });
      await api("POST", `/api/v1/rollouts/${rollout.id}/advance`, { version: 1 });

      await erin.goto(`/rollouts/${rollout.id}`);
      await expect(erin.getByTestId("communication-plan")).toContainText("every enabled webhook of production");
      await erin.getByText("Edit plan").click();
      const editor = erin.getByRole("form", { name: "Edit plan" });
      const plan = editor.getByRole("group", { name: "Communication plan" });
      await expect(plan.getByRole("radio", { name: "Every enabled webhook of production (default)" })).toBeChecked();
      const teamBox = plan.getByRole("checkbox", { name: new RegExp(`^${team} `) });
      // A click before hydration is undone by it (the choice is React state): choose until it holds.
      await expect(async () => {
        await plan.getByRole("radio", { name: "Only the webhooks ticked below" }).check();
        await expect(teamBox).toBeEnabled({ timeout: 1_000 });
      }).toPass({ timeout: 15_000 });
      await teamBox.check();
      await plan.getByRole("checkbox", { name: new RegExp(`^${pager} `) }).uncheck();
      await expect(plan).toContainText("always go to every enabled webhook of production");
      expect(await erin.evaluate(() => document.documentElement.scrollWidth)).toBe(width);
      await editor.getByRole("button", { name: "Save plan" }).click();
      await expect(erin.getByRole("status").filter({ hasText: "Saved as plan v2" })).toBeVisible();
      await expect(erin.getByTestId("communication-plan")).toContainText(`each step is posted to “${team}”`);

      const priya = await personIn(browser, "po@rollgate.dev", width, height, `/rollouts/${rollout.id}/phases/1/approve`);
      const section = priya.locator('[data-review-item="communication plan"]');
      await expect(section.locator("summary")).toContainText("1 of");
      await section.locator("summary").click();
      await expect(section.getByTestId("review-webhooks")).toContainText(team);
      await expect(section.getByTestId("review-webhooks")).not.toContainText(pager);
      await expect(section.getByTestId("review-webhooks-excluded")).toContainText(`${pager} (127.0.0.1:`);
      await expect(section.getByTestId("review-webhooks-excluded")).toContainText("left out by the plan");
      await expect(section).toContainText("start and advance");
      await expect(section).toContainText("Safety first: kill, restore and guardrail breach notices go to every enabled webhook");
      expect(await priya.evaluate(() => document.documentElement.scrollWidth)).toBe(width);
      expect(await axeViolations(priya)).toEqual([]);
      for (const p of [erin, priya]) await p.context().close();
    } finally {
      // Later specs' production steps should not be sent to a receiver that is gone.
      await admin.goto("/admin");
      for (const hook of [team, pager]) {
        const button = webhookSection(admin).getByRole("button", { name: `Delete ${hook}` });
        if (await button.count()) {
          await button.click();
          await expect(button).toHaveCount(0);
        }
      }
      await admin.context().close();
      await receiver.close();
    }
  });
}

// A plan edited while a product owner fills in the form: a signature must never attest to a version
// its signer was not shown. Without the live stream the form is refused (409) and then shows the new
// version with its ticks cleared; with it, the page shows the edit as soon as it is saved.
test("a plan edited during review: refused at signing without the live stream, shown at once with it", async ({ browser }) => {
  test.setTimeout(90_000);
  const erin = await personIn(browser, "engineer@rollgate.dev", 1440, 900, false);
  const api = async (method: "POST" | "PATCH", path: string, data: unknown) => {
    const res = await erin.request.fetch(path, { method, data, headers: fromPage(erin) });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    return res.json();
  };
  const key = `e2e-stale-form-${Date.now().toString(36)}`;
  await api("POST", "/api/v1/flags", { key });
  const started = { name: "10 %", percent: 10, minSoakSeconds: 0 };
  const rollout = await api("POST", "/api/v1/rollouts", {
    flagKey: key,
    environment: "production",
    phases: [started, { name: "Half", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 }],
  });
  await api("POST", `/api/v1/rollouts/${rollout.id}/advance`, { version: 1 });
  const editTo = (version: number, percent: number) =>
    api("PATCH", `/api/v1/rollouts/${rollout.id}`, {
      version,
      phases: [started, { name: "Half", percent, minSoakSeconds: 0, requiredApprovals: 1 }],
    });
  const approvePath = `/rollouts/${rollout.id}/phases/1/approve`;
  const change = (page: Page) => page.locator('[data-review-item="change"]');
  const changeTick = (page: Page) => page.getByRole("checkbox", { name: "I have reviewed the change" });
  /** Low risk, approved, signed: everything on the form but the review ticks. */
  const decide = async (page: Page) => {
    await page.getByRole("radio", { name: "low" }).check();
    await page.getByRole("radio", { name: "Approved — proceed" }).check();
    await page.getByLabel(/^Signature/).fill("Priya Product");
  };

  // The product owner's page hears nothing live: they fill in the whole form on version 1.
  const offline = await pageWithoutLiveUpdates(browser, "po@rollgate.dev", { to: approvePath });
  await change(offline).locator("summary").click();
  await expect(change(offline)).toContainText("on for 10 % → on for 50 %");
  await changeTick(offline).check();
  await decide(offline);

  await editTo(2, 60);
  await offline.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(offline.getByRole("alert").filter({ hasText: "The plan was edited while you reviewed it" })).toContainText(
    "you reviewed version 1, it is now version 2",
  );
  await expect(offline.getByTestId("plan-changed")).toContainText("version 1 → 2");
  // The items were shown afresh (closed, unticked), each as it is now.
  await expect(change(offline).locator("summary")).not.toContainText("✓ reviewed");
  await change(offline).locator("summary").click();
  await expect(change(offline)).toContainText("on for 10 % → on for 60 %");
  await expect(changeTick(offline)).not.toBeChecked();
  // What was decided and typed is kept; only the ticks must be given again.
  await expect(offline.getByLabel(/^Signature/)).toHaveValue("Priya Product");
  expect(await axeViolations(offline)).toEqual([]);

  // A page with the live stream shows the next edit without a reload, and signs what it shows.
  const live = await personIn(browser, "po@rollgate.dev", 1440, 900, approvePath);
  await expect(live.getByTestId("approval-change")).toContainText("plan v2");
  await editTo(3, 70);
  await expect(live.getByTestId("plan-changed")).toContainText("version 2 → 3");
  await expect(live.getByTestId("approval-change")).toContainText("plan v3");
  await change(live).locator("summary").click();
  await expect(change(live)).toContainText("on for 10 % → on for 70 %");
  await changeTick(live).check();
  await decide(live);
  await live.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(live).toHaveURL(new RegExp(`/rollouts/${rollout.id}\\?signed=1$`));
  const after = await (await erin.request.get(`/api/v1/rollouts/${rollout.id}`)).json();
  expect(after.approvals.map((a: { planVersion: number; decision: string }) => [a.planVersion, a.decision])).toEqual([[3, "approved"]]);
  for (const p of [erin, offline, live]) await p.context().close();
});

test("a gate that turns red during review: the signature is refused, the page shows the gate red, and signing again signs what it shows", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const erin = await personIn(browser, "engineer@rollgate.dev", 1440, 900, false);
  const owen = await personIn(browser, "oncall@rollgate.dev", 1440, 900, false);
  const as = async (page: Page, path: string, data: unknown) => {
    const res = await page.request.fetch(path, { method: "POST", data, headers: fromPage(page) });
    expect(res.status(), `POST ${path}: ${await res.text()}`).toBeLessThan(300);
    return res.json();
  };
  const key = `e2e-red-gate-${Date.now().toString(36)}`;
  await as(erin, "/api/v1/flags", { key });
  const rollout = await as(erin, "/api/v1/rollouts", {
    flagKey: key,
    environment: "production",
    phases: [
      { name: "10 %", percent: 10, minSoakSeconds: 0 },
      { name: "Half", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
    ],
  });
  await as(erin, `/api/v1/rollouts/${rollout.id}/advance`, { version: 1 });

  // The product owner's page hears nothing live; the gates it shows have no incident open.
  const po = await pageWithoutLiveUpdates(browser, "po@rollgate.dev", { to: `/rollouts/${rollout.id}/phases/1/approve` });
  const incidentsGate = po.locator('[data-gate="incidents"]');
  await expect(incidentsGate).toHaveAttribute("data-ok", "true");
  await po.locator('[data-review-item="change"] summary').click();
  await po.getByRole("checkbox", { name: "I have reviewed the change" }).check();
  await po.getByRole("radio", { name: "low" }).check();
  await po.getByRole("radio", { name: "Approved — proceed" }).check();
  await po.getByLabel(/^Signature/).fill("Priya Product");

  await as(owen, `/api/v1/flags/${key}/environments/production/kill`, { reason: "pager: checkout errors" });
  await po.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(po.getByRole("alert").filter({ hasText: "Since you opened the form" })).toContainText("the incidents gate fails");
  // Refreshed in place: the gate is red now, and what was filled in is kept.
  await expect(incidentsGate).toHaveAttribute("data-ok", "false");
  await expect(po.getByLabel(/^Signature/)).toHaveValue("Priya Product");
  await po.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(po).toHaveURL(new RegExp(`/rollouts/${rollout.id}\\?signed=1$`));
  const after = await (await erin.request.get(`/api/v1/rollouts/${rollout.id}`)).json();
  expect(after.approvals.map((a: { decision: string }) => a.decision)).toEqual(["approved"]);
  for (const p of [erin, owen, po]) await p.context().close();
});
