import { expect, test } from "./test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { signIn } from "./helpers";
import { segmentedExport } from "./unleash-exports";

/** Every screenshot at a desktop and a phone width. */
const SIZES = [
  ["desktop-1440", 1440, 900],
  ["phone-390", 390, 844],
] as const;

// Issue 23's acceptance: the rollout page's "change vs control" chart at a desktop and a phone size.
// Run on demand: SCREENSHOTS_DIR=/work/screenshots npx playwright test tests/e2e/screenshots.spec.ts
// (playwright.config.ts leaves this file out of runs without SCREENSHOTS_DIR, so no run reports it skipped).
const DIR = process.env.SCREENSHOTS_DIR;

test("screenshots of the rollout page's comparison chart", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "viewer@rollgate.dev");
  const res = await page.request.get("/api/v1/rollouts?flagKey=messaging-v2");
  const rollout = ((await res.json()) as { rollouts: { id: string }[] }).rollouts[0]!;
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto(`/rollouts/${rollout.id}`);
    const chart = page.getByTestId("comparison-chart");
    await expect(chart.getByRole("img", { name: /^Δ error rate/ })).toBeVisible();
    await chart.scrollIntoViewIfNeeded();
    await chart.screenshot({ path: path.join(DIR!, `comparison-chart-${name}.png`) });
    await page.screenshot({ path: path.join(DIR!, `rollout-page-${name}.png`), fullPage: true });
  }
});

test("screenshots of the approval form with its review sections open", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "po@rollgate.dev");
  const res = await page.request.get("/api/v1/rollouts?flagKey=messaging-v2");
  const rollouts = ((await res.json()) as { rollouts: { id: string; environment: string; currentPhase: number }[] }).rollouts;
  const rollout = rollouts.find((r) => r.environment === "production")!;
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto(`/rollouts/${rollout.id}/phases/${rollout.currentPhase + 1}/approve`);
    for (const item of ["change", "test results", "current evidence"]) {
      await page.locator(`[data-review-item="${item}"] > summary`).click();
    }
    await expect(page.getByTestId("review-test-results")).toContainText("Staging: completed");
    await page.getByRole("form", { name: "Approval form" }).screenshot({ path: path.join(DIR!, `approval-form-${name}.png`) });
  }
});

test("screenshots of the flag list with its search, filters and pages (issue 26)", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "engineer@rollgate.dev");
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto(`/flags?limit=2&cursor=${await firstCursor(page)}`);
    await expect(page.getByRole("navigation", { name: "Pages" })).toBeVisible();
    await page.screenshot({ path: path.join(DIR!, `flags-${name}.png`), fullPage: true });
  }
});

/** A second page's cursor, so the screenshot shows both Previous and Next. */
async function firstCursor(page: import("./test").Page): Promise<string> {
  const res = await page.request.get("/api/v1/flags?limit=2");
  return encodeURIComponent(((await res.json()) as { next: string }).next);
}

test("screenshots of the segments page: the list, a field error, and a segment's editor", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "engineer@rollgate.dev", { to: "/segments" });
  const made = await page.request.post("/api/v1/segments", {
    headers: { origin: new URL(page.url()).origin },
    data: {
      name: "Screenshot staff",
      description: "Everyone at Acme on version 2",
      constraints: [
        { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com", "@acme.io"], caseInsensitive: true },
        { contextName: "appVersion", operator: "SEMVER_GTE", value: "2.0.0" },
      ],
    },
  });
  expect([201, 409]).toContain(made.status());
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto("/segments");
    await page.screenshot({ path: path.join(DIR!, `segments-${name}.png`), fullPage: true });
    const form = page.locator("section", { has: page.getByRole("heading", { name: "New segment" }) });
    await form.getByLabel("Name", { exact: true }).fill("Broken");
    await form.getByTestId("new-segment-0").getByLabel("Operator").selectOption("NUM_GT");
    await form.getByTestId("new-segment-0").getByLabel("Value").fill("ten");
    await form.getByRole("button", { name: "Create segment" }).click();
    await expect(form.getByText("must be a number, like 42 or 3.5")).toBeVisible();
    await page.getByRole("button", { name: "Edit Screenshot staff" }).click();
    await page.screenshot({ path: path.join(DIR!, `segments-editing-${name}.png`), fullPage: true });
  }
});

test("screenshots of the flag page's Targeting section: strategies in words, one open with a field error (issue 25)", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "engineer@rollgate.dev", { to: "/flags" });
  const headers = { origin: new URL(page.url()).origin };
  const made = await page.request.post("/api/v1/segments", {
    headers,
    data: {
      name: "Screenshot beta",
      description: "Tenants in the beta",
      constraints: [{ contextName: "tenant", operator: "IN", values: ["t-1", "t-2", "t-3", "t-4", "t-5"] }],
    },
  });
  expect([201, 409]).toContain(made.status());
  const segments = (await (await page.request.get("/api/v1/segments")).json()) as { segments: { id: number; name: string }[] };
  const segment = segments.segments.find((s) => s.name === "Screenshot beta")!;
  const key = `screenshot-targeting-${Date.now()}`;
  expect((await page.request.post("/api/v1/flags", { headers, data: { key } })).status()).toBe(201);
  const targeted = await page.request.patch(`/api/v1/flags/${key}/environments/staging`, {
    headers,
    data: {
      version: 1,
      targeting: {
        strategies: [
          {
            title: "Staff",
            rollout: 100,
            constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com", "@acme.io"], caseInsensitive: true }],
          },
          {
            title: "Beta tenants in Canada",
            rollout: 10,
            stickiness: "sessionId",
            segments: [segment.id],
            constraints: [{ contextName: "country", operator: "IN", values: ["CA"] }],
          },
        ],
        variants: [
          { name: "blue", weight: 500, payload: { type: "json", value: '{"color":"#00f"}' } },
          { name: "green", weight: 500 },
        ],
        dependencies: [{ feature: "dark-mode" }],
      },
    },
  });
  expect(targeted.status()).toBe(200);
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto(`/flags/${key}`);
    const section = page.getByTestId("targeting-staging");
    await section.screenshot({ path: path.join(DIR!, `targeting-${name}.png`) });
    await section.getByRole("button", { name: "Edit Beta tenants in Canada" }).click();
    await section.getByTestId("strategy-1").getByRole("button", { name: "Add constraint" }).click();
    const added = section.getByTestId("strategy-1").locator("fieldset").filter({ hasText: "and constraint 2" });
    await added.getByLabel("Context field").fill("seats");
    await added.getByLabel("Operator").selectOption("NUM_GT");
    await added.getByLabel("Value").fill("abc");
    await section.getByRole("button", { name: "Save targeting of staging" }).click();
    await expect(added.getByRole("alert")).toHaveText("must be a number, like 42 or 3.5");
    await section.screenshot({ path: path.join(DIR!, `targeting-editing-${name}.png`) });
  }
});

test("screenshots of the import dry run with the export's segments", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "admin@rollgate.dev");
  const stamp = Date.now();
  const flag = `Shot.Segments${stamp}`;
  const exported = segmentedExport(flag, 25, [
    {
      id: 7,
      name: `Beta tenants ${stamp}`,
      constraints: [{ contextName: "tenant", operator: "IN", values: ["acme", "globex", "initech"] }],
    },
    { id: 8, name: `Recent app ${stamp}`, constraints: [{ contextName: "appVersion", operator: "SEMVER_GTE", value: "2.4.0" }] },
  ]);
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto("/admin/import");
    await page
      .getByLabel("Unleash export (JSON)")
      .setInputFiles({ name: "export.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(exported)) });
    await page.getByRole("button", { name: "Dry run" }).click();
    await expect(page.getByTestId("import-segment-7")).toBeVisible();
    await page.screenshot({ path: path.join(DIR!, `import-segments-${name}.png`), fullPage: true });
  }
});

test("screenshots of the demo A/B/n flag's Variants section (issue 25)", async ({ page }) => {
  mkdirSync(DIR!, { recursive: true });
  await signIn(page, "viewer@rollgate.dev");
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.goto("/flags/onboarding-copy");
    const section = page.getByTestId("variant-comparison");
    await expect(section.getByTestId("variant-row-playful")).toContainText("Errs more than control");
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: path.join(DIR!, `variants-${name}.png`) });
  }
});
