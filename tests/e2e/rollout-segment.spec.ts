import { expect, test, type Browser, type Page } from "./test";
import { checkLayoutAndAxe, fromPage, signIn, type SignInOptions } from "./helpers";

// Issue 25's acceptance item: the seed playbook's internal phase targets a segment ("Rollgate staff",
// from the demo seed); an engineer plans it, a product owner approves the audience in words, the
// engineer advances, and the SDK serves the staff and no one else.
//
// The flag is a new one rather than a demo flag: every demo flag's staging state is asserted by
// another spec that may share this worker's database (flags.spec counts dark-mode's, checkout-redesign's
// and search-ranking-ml's staging versions; messaging-v2's staging history is on the approval form).

const STAFF = "Rollgate staff (email ends with @rollgate.dev (any case))";

async function personIn(browser: Browser, email: string, options: SignInOptions = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, email, options);
  return page;
}

/** An SDK token for staging, made the way an admin makes one (the e2e server bootstraps production's only). */
async function stagingSdkToken(browser: Browser, name: string): Promise<string> {
  const admin = await personIn(browser, "admin@rollgate.dev", { to: "/admin" });
  const tokens = admin.locator("section", { has: admin.getByRole("heading", { name: "API tokens" }) });
  await tokens.getByLabel("Name").fill(name);
  await tokens.getByLabel("Acts as").selectOption("sdk:staging");
  await tokens.getByRole("button", { name: "Create token" }).click();
  const token = (await admin.getByTestId("new-token").textContent())?.trim() ?? "";
  expect(token).toMatch(/^rg_sdk_/);
  await admin.context().close();
  return token;
}

test("a playbook's internal phase serves the Rollgate staff segment: planned, approved in words, advanced, served", async ({
  browser,
  request,
}) => {
  test.setTimeout(180_000);
  const stamp = Date.now().toString(36);
  const flagKey = `e2e-staff-${stamp}`;
  const token = await stagingSdkToken(browser, `staff-check-${stamp}`);
  // Forty users an SDK saw in staging, two of them staff: the plan says how many each phase reaches.
  const seen = Array.from({ length: 40 }, (_, i) => ({
    userId: `seen-${stamp}-${i}`,
    properties: { email: `p${i}@${i % 20 === 0 ? "rollgate.dev" : "example.com"}` },
  }));
  const sent = await request.post("/api/v1/events", { headers: { authorization: `Bearer ${token}` }, data: { contexts: seen } });
  expect(sent.status(), await sent.text()).toBe(202);

  // Erin plans the playbook in staging with the staff segment as the internal phase's audience.
  const erin = await personIn(browser, "engineer@rollgate.dev", { to: false });
  const created = await erin.request.post("/api/v1/flags", { headers: fromPage(erin), data: { key: flagKey } });
  expect(created.status(), await created.text()).toBe(201);
  await erin.goto(`/flags/${flagKey}/new-rollout`);
  const form = erin.getByRole("form", { name: "New rollout" });
  const internal = form.getByRole("group", { name: "Internal phase: segments it serves (kept until 100 %)" });
  // A choice made before hydration is undone by it (the choice is React state): choose until it holds.
  await expect(async () => {
    await form.getByRole("combobox", { name: "Environment", exact: true }).selectOption("staging");
    await internal.getByRole("checkbox", { name: "Rollgate staff" }).check();
    await expect(internal.getByTestId("phase-audience")).toHaveText(`Serves: ${STAFF}`, { timeout: 1_000 });
    await expect(form.getByTestId("plan-preview")).toContainText("soak 15 min", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const preview = form.getByTestId("plan-preview").locator("li");
  await expect(preview.nth(0)).toContainText(`1. Internal serves ${STAFF}`);
  await expect(preview.nth(1)).toContainText(`2. 10 % serves ${STAFF} and 10 % of everyone`);
  await expect(preview.nth(3)).toContainText("4. 100 % serves everyone");
  // Every gate the plan will have, not a summary (the 50 % phase's errors and p95 were once left out).
  await expect(preview.nth(2)).toContainText("success ≥ 97 %, errors ≤ 1 %, p95 ≤ 500 ms, ≥ 5000 requests");
  await checkLayoutAndAxe(erin, "new rollout form");
  await form.getByLabel("Benefits").fill("Staff try the new thing first");
  await form.getByRole("button", { name: "Create rollout plan" }).click();
  await expect(erin).toHaveURL(/\/rollouts\/[0-9a-f-]{36}$/);
  const rolloutUrl = erin.url();
  const rolloutId = rolloutUrl.split("/").pop()!;
  const timeline = erin.getByTestId("timeline");
  await expect(timeline.locator("li").first().getByTestId("phase-audience")).toHaveText(`Serves ${STAFF}`);
  await expect(timeline.locator("li").nth(1).getByTestId("phase-audience")).toHaveText(`Serves ${STAFF} and 10 % of everyone`);
  // Other specs may evaluate in staging too: at least our two staff of at least our forty users.
  const reach = (await timeline.locator("li").first().getByTestId("phase-reach").textContent()) ?? "";
  const counted = /^Reaches (\d+) of (\d+) users seen last week$/.exec(reach);
  expect(counted, reach).not.toBeNull();
  expect(Number(counted![1])).toBeGreaterThanOrEqual(2);
  expect(Number(counted![2])).toBeGreaterThanOrEqual(40);
  await expect(timeline.locator("li").last().getByTestId("phase-reach")).toHaveText(
    `Reaches ${counted![2]} of ${counted![2]} users seen last week`,
  );

  // The segments page says the same per environment.
  await erin.goto("/segments");
  await expect(erin.getByTestId("segment-Rollgate staff").getByTestId("segment-reach")).toContainText(
    `staging: ${reach.replace("Reaches ", "")}`,
    { ignoreCase: true },
  );
  await checkLayoutAndAxe(erin, "segments page with reach");
  await erin.goto(rolloutUrl);

  // The internal phase's checklist, ticked as a person would.
  for (const item of ["backup verified", "rollback tested", "monitoring in place"]) {
    await erin.getByRole("checkbox", { name: item }).click();
    await expect(erin.getByRole("checkbox", { name: item })).toHaveAttribute("aria-checked", "true");
  }
  await expect(erin.locator('[data-gate="checklist"]')).toHaveAttribute("data-ok", "true");

  // Priya reads who the phase serves, in words, and approves.
  const priya = await personIn(browser, "po@rollgate.dev", { to: `/rollouts/${rolloutId}/phases/0/approve` });
  const change = priya.locator('[data-review-item="change"]');
  // Even closed, the section says who: the segment's rules, not "on for 1 segment".
  await expect(change.locator("summary")).toContainText(`off → ${STAFF}`);
  // The form's header says it the same way.
  await expect(priya.getByTestId("approval-change")).toContainText(`off → ${STAFF}`);
  await change.locator("summary").click();
  await expect(change.getByTestId("change-audience")).toHaveText(`Audience: off → ${STAFF}`);
  await expect(change.getByTestId("change-reach")).toHaveText(`Reach: ${reach.replace("Reaches ", "")} in staging`);
  await priya.getByRole("checkbox", { name: "I have reviewed the change" }).check();
  await priya.getByRole("radio", { name: "Low" }).check();
  await priya.getByRole("radio", { name: /^Approved/ }).check();
  await priya.getByLabel(/Signature/).fill("Priya Product");
  await checkLayoutAndAxe(priya, "approval form");
  await priya.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(priya).toHaveURL(new RegExp(`/rollouts/${rolloutId}\\?signed=1$`));
  await priya.context().close();

  // Erin's page turns green by itself; the Start dialog says who the phase will serve.
  await expect(erin.getByTestId("gate-summary")).toHaveText(/all \d+ green/);
  await erin.getByRole("button", { name: "Start rollout" }).click();
  const dialog = erin.getByRole("dialog");
  await expect(dialog.getByTestId("advance-audience")).toHaveText(`Advancing serves: ${STAFF}`);
  await expect(dialog.getByTestId("advance-reach")).toHaveText(/^That is \d+ of \d+ users seen last week\.$/);
  await expect(dialog.getByTestId("consequence")).toContainText(`${flagKey} in staging will serve “on” to the audience below`);
  await checkLayoutAndAxe(erin, "rollout page with the Start dialog");
  await dialog.getByRole("button", { name: "Start", exact: true }).click();
  await expect(erin.getByRole("status").filter({ hasText: "Done" })).toContainText("phase 1 (Internal)");
  const live = timeline.locator('[data-phase-state="current"]');
  await expect(live).toContainText("Internal");
  await expect(live.getByTestId("phase-audience")).toHaveText(`Serves ${STAFF}`);
  await checkLayoutAndAxe(erin, "rollout page");

  // The plan editor keeps the phases' segments: the started phase is sent back as it is, and the
  // next phase's picker starts from its segments.
  await erin.getByText("Edit plan").click();
  const editor = erin.getByRole("form", { name: "Edit plan" });
  const nextPhase = editor.getByRole("group", { name: "Phase 2 “10 %”: segments it serves" });
  await expect(nextPhase.getByRole("checkbox", { name: "Rollgate staff" })).toBeChecked();
  await expect(nextPhase.getByTestId("phase-audience")).toHaveText(`Serves: ${STAFF} and 10 % of everyone`);
  await editor.getByLabel("Phase 2 Soak (h)").fill("1");
  await editor.getByRole("button", { name: "Save plan" }).click();
  await expect(erin.getByRole("status").filter({ hasText: "Saved as plan v2" })).toBeVisible();
  await expect(timeline.locator("li").nth(1).getByTestId("phase-audience")).toHaveText(`Serves ${STAFF} and 10 % of everyone`);

  // The flag page says the live phase serves the segment, beside the targeting it does not belong to.
  await erin.goto(`/flags/${flagKey}`);
  await expect(erin.getByTestId("targeting-staging").getByTestId("rollout-segments")).toHaveText(`Rollout phase serves: ${STAFF}`);
  await expect(erin.getByTestId("targeting-production").getByTestId("rollout-segments")).toHaveCount(0);
  await checkLayoutAndAxe(erin, "flag page");

  // What an SDK in staging is served: the staff by their email, and no one else.
  const evaluate = async (context: Record<string, string>) => {
    const res = await request.post(`/ofrep/v1/evaluate/flags/${flagKey}`, {
      headers: { authorization: `Bearer ${token}` },
      data: { context },
    });
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()) as { value: unknown; reason: string };
  };
  // The data plane takes the change from the database's notification, a moment after the step.
  await expect.poll(async () => (await evaluate({ targetingKey: "u-1", email: "ana@rollgate.dev" })).value).toBe(true);
  expect(await evaluate({ targetingKey: "u-1", email: "ana@rollgate.dev" })).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
  expect(await evaluate({ targetingKey: "u-1", email: "bo@example.com" })).toMatchObject({ value: false });
  await erin.context().close();
});

test("a segment deleted while the plan was being written is refused on the internal phase's picker", async ({ page }) => {
  const stamp = Date.now().toString(36);
  const flagKey = `e2e-gone-${stamp}`;
  const name = `Gone soon ${stamp}`;
  await signIn(page, "engineer@rollgate.dev");
  const api = async (method: "POST" | "DELETE", path: string, data?: unknown) => {
    const res = await page.request.fetch(path, { method, data, headers: fromPage(page) });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    return res.status() === 204 ? null : ((await res.json()) as { id: number });
  };
  await api("POST", "/api/v1/flags", { key: flagKey });
  const segment = (await api("POST", "/api/v1/segments", {
    name,
    constraints: [{ contextName: "tenant", operator: "IN", values: ["t-9"] }],
  }))!;
  await page.goto(`/flags/${flagKey}/new-rollout`);
  const internal = page.getByRole("group", { name: "Internal phase: segments it serves (kept until 100 %)" });
  await expect(async () => {
    await internal.getByRole("checkbox", { name }).check();
    await expect(internal.getByTestId("phase-audience")).toHaveText(`Serves: ${name} (tenant is one of t-9)`, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await api("DELETE", `/api/v1/segments/${segment.id}`);
  await page.getByRole("button", { name: "Create rollout plan" }).click();
  await expect(internal.getByRole("alert")).toHaveText(`no segment with id ${segment.id}`);
  // Nothing was created, and what was chosen is still there to change.
  await expect(page).toHaveURL(new RegExp(`/flags/${flagKey}/new-rollout$`));
  await expect(internal.getByRole("checkbox", { name })).toBeChecked();
});
