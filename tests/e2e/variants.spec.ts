import { expect, test } from "./test";
import { checkLayoutAndAxe, fromPage, signIn } from "./helpers";
import { E2E_SDK_TOKEN } from "./sdk-token";

// Issue 25: a multivariate flag's variants compared with a control variant on the flag page. A new
// flag (the demo flags' states are asserted elsewhere), three variants in production, and 30 minutes
// of per-variant outcomes reported with the production SDK token: green errs 5 %, the others 1 %.

test("a multivariate flag's variants against control on the flag page: the one that errs more is named, control can be changed", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const flagKey = `e2e-variants-${Date.now().toString(36)}`;
  await signIn(page, "engineer@rollgate.dev");
  const created = await page.request.post("/api/v1/flags", { headers: fromPage(page), data: { key: flagKey } });
  expect(created.status(), await created.text()).toBe(201);
  const flag = (await (await page.request.get(`/api/v1/flags/${flagKey}`)).json()) as { environments: Record<string, { version: number }> };
  const set = await page.request.patch(`/api/v1/flags/${flagKey}/environments/production`, {
    headers: fromPage(page),
    data: {
      version: flag.environments.production!.version,
      enabled: true,
      rolloutPercent: 0,
      targeting: {
        strategies: [{ rollout: 100 }],
        variants: [
          { name: "control", weight: 500 },
          { name: "blue", weight: 250 },
          { name: "green", weight: 250 },
        ],
      },
    },
  });
  expect(set.status(), await set.text()).toBe(200);

  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const summaries = [];
  for (let m = 31; m >= 2; m--) {
    for (const [name, requests, errors] of [
      ["control", 400, 4],
      ["blue", 200, 2],
      ["green", 200, 10],
    ] as const) {
      const buckets = new Array<number>(20).fill(0);
      buckets[2] = requests;
      summaries.push({
        flagKey,
        variant: "on",
        variantName: name,
        minute: new Date(now - m * 60_000).toISOString(),
        requests,
        errors,
        latencySumMs: requests * 20,
        latencyBuckets: buckets,
      });
    }
  }
  const sent = await page.request.post("/api/v1/events", { headers: { authorization: `Bearer ${E2E_SDK_TOKEN}` }, data: { summaries } });
  expect(sent.status(), await sent.text()).toBe(202);
  // A service still on an Unleash SDK reports what it served per variant (no outcomes).
  const unleash = await page.request.post("/api/client/metrics", {
    headers: { authorization: E2E_SDK_TOKEN },
    data: {
      appName: "legacy-checkout",
      bucket: {
        start: new Date(now - 60_000).toISOString(),
        stop: new Date(now).toISOString(),
        toggles: { [flagKey]: { yes: 60, no: 0, variants: { control: 30, blue: 20, green: 10 } } },
      },
    },
  });
  expect(unleash.status(), await unleash.text()).toBe(202);

  await page.goto(`/flags/${flagKey}`);
  const section = page.getByTestId("variant-comparison");
  await expect(section.getByRole("heading", { name: "Variants · production" })).toBeVisible();
  await expect(section.getByTestId("variant-row-green")).toContainText("Errs more than control");
  await expect(section.getByTestId("variant-row-green")).toContainText("5 %");
  await expect(section.getByTestId("variant-row-blue")).toContainText("No sign of harm");
  // Outcomes from the events alone; what the Unleash SDK served is listed apart.
  await expect(section.getByTestId("variant-row-control")).toContainText("12,000");
  await expect(section.getByTestId("variant-evaluations")).toContainText("Served through Unleash SDKs in this range");
  await expect(section.getByTestId("variant-evaluations")).toContainText("blue 20 · control 30 · green 10");
  await expect(section.getByRole("img", { name: "Error rate by variant (%), over time" })).toBeVisible();
  await checkLayoutAndAxe(page, "flag variants", "variant-comparison");

  // Green as control: nobody errs more than green; blue and control now read as better.
  await expect(async () => {
    await section.getByRole("combobox", { name: "Control" }).selectOption("green");
    await expect(section.getByTestId("variant-row-green")).toContainText("control", { timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
  await expect(section.getByTestId("variant-row-blue")).toContainText("No sign of harm");
  await expect(section.getByText("Errs more than control")).toHaveCount(0);
});
