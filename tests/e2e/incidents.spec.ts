import { expect, test } from "./test";
import { fromPage, signIn, openPalette } from "./helpers";
import { E2E_SDK_TOKEN } from "./sdk-token";
import { RollgateClient } from "../../lib/sdk/client";

test("on-call kills a flag with a reason: the page shows it killed, an incident opens, and it is resolved with a report", async ({
  page,
  browser,
}) => {
  await signIn(page, "oncall@rollgate.dev", { to: "/flags/dark-mode" });
  await page.getByRole("button", { name: "Kill in production: dark-mode" }).click();
  await expect(page.getByTestId("kill-consequence")).toContainText("serves “off” to everyone in production within a second");
  // dark-mode has no rollout in production: nothing is said to be paused.
  await expect(page.getByTestId("kill-consequence")).not.toContainText("paused");
  // The box stops where the server would refuse (mid-incident, a refusal after typing is the worst time).
  await expect(page.getByRole("dialog").getByLabel("Reason")).toHaveAttribute("maxlength", "500");
  await page.getByRole("button", { name: "Kill now" }).click(); // refused by the browser: reason required
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.getByLabel("Reason").fill("Dark mode breaks the payment iframe");
  await page.getByRole("button", { name: "Kill now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "is off in production" })).toBeVisible();
  await expect(page.getByTestId("env-production")).toContainText("Killed");
  await expect(page.getByTestId("incident-count")).toBeVisible();

  await page.getByRole("status").getByRole("link", { name: "Incident" }).click();
  await expect(page.getByRole("heading", { name: "dark-mode killed in production" })).toBeVisible();
  await expect(page.getByTestId("incident-timeline")).toContainText("Dark mode breaks the payment iframe");
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByText("acknowledged", { exact: true })).toBeVisible();
  await page.getByLabel("Summary").fill("The new theme broke the payment iframe; killed within minutes.");
  await page.getByLabel("Root cause").fill("CSS variable missing in the iframe");
  await page.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByText("resolved", { exact: true })).toBeVisible();
  await expect(page.getByText("CSS variable missing in the iframe")).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download report (Markdown)" }).click();
  const file = await (await download).path();
  const { readFile } = await import("node:fs/promises");
  expect(await readFile(file, "utf8")).toContain("## Root cause\n\nCSS variable missing in the iframe");

  // Restore from the flag page.
  await page.goto("/flags/dark-mode");
  await page.getByRole("button", { name: "Restore production: dark-mode" }).click();
  await page.getByLabel("Reason").fill("Fix deployed");
  await page.getByRole("button", { name: "Restore", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "is restored in production" })).toBeVisible();

  // A viewer has no kill switch, and the API refuses them.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, "viewer@rollgate.dev", { to: "/flags/dark-mode" });
  await expect(viewer.getByRole("button", { name: /Kill/ })).toHaveCount(0);
  const refused = await viewer.request.post("/api/v1/flags/dark-mode/environments/production/kill", {
    headers: fromPage(viewer),
    data: { reason: "I am a viewer" },
  });
  expect(refused.status()).toBe(403);
  await viewerContext.close();
});

test("on-call kills from the command palette (Ctrl-K) with a reason; a real SDK client serves off", async ({ page, baseURL }) => {
  const sdk = await RollgateClient.connect({ url: baseURL!, sdkKey: E2E_SDK_TOKEN });
  try {
    // Other specs change its percentage; any user the flag is on for will do.
    const user = Array.from({ length: 1000 }, (_, i) => `user-${i}`).find((u) => sdk.isEnabled("search-ranking-ml", u));
    expect(user).toBeDefined();
    await signIn(page, "oncall@rollgate.dev");
    await openPalette(page);
    await page.getByRole("combobox", { name: "Command" }).fill("kill search-ranking-ml in production");
    await expect(page.getByRole("option").first()).toHaveText(/kill search-ranking-ml in production/);
    await page.keyboard.press("Enter");
    // The palette lists flags without their rollouts: the dialog asks, then says what the kill does to this one.
    const live = (
      (await (await page.request.get("/api/v1/rollouts?flagKey=search-ranking-ml", { headers: fromPage(page) })).json()) as {
        rollouts: { environment: string; status: string }[];
      }
    ).rollouts.some((r) => r.environment === "production" && r.status === "active");
    await expect(page.getByTestId("kill-consequence")).toHaveText(
      live ? /An incident is opened; the live rollout is paused \(break-glass: no approval needed\)\.$/ : /An incident is opened\.$/,
    );
    await page.getByRole("button", { name: "Kill now" }).click(); // no reason yet: the browser refuses
    await page.getByLabel("Reason").fill("Ranking model returns empty results");
    const off = new Promise<number>((resolve) => {
      const stop = sdk.onChange(() => {
        if (!sdk.isEnabled("search-ranking-ml", user!, true)) {
          stop();
          resolve(performance.now());
        }
      });
    });
    const clicked = performance.now();
    await page.getByRole("button", { name: "Kill now" }).click();
    // That it arrives, with the bound the other propagation tests allow on a loaded machine; how fast
    // it arrives (p99 in milliseconds) is benchmark 6's figure, measured on an idle one.
    expect((await off) - clicked).toBeLessThan(5000);
    await expect(page).toHaveURL(/\/incidents\/[0-9a-f-]{36}$/);
    await expect(page.getByRole("heading", { name: "search-ranking-ml killed in production" })).toBeVisible();
  } finally {
    await sdk.close();
  }
  // The overview, what on-call opens first, shows the incident and the killed flag.
  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("region", { name: /Open incidents/ })).toContainText("search-ranking-ml killed in production");
  await expect(page.getByRole("region", { name: /Killed flags/ })).toContainText("search-ranking-ml in production");
  await expect(page.getByTestId("overview-rollouts")).toContainText("messaging-v2");
  // Each has its health at a glance (no demo traffic in the tests: it says so rather than draw nothing).
  await expect(page.getByTestId("sparkline-messaging-v2-production")).toContainText(/no traffic|errors/);
});

test("the kill dialog on a flag page says the live rollout there is paused, and only there", async ({ page, browser }) => {
  // A flag of its own with an active rollout in production (the demo's may be paused by another spec).
  const flagKey = `kill-words-${Date.now()}`;
  const erin = await browser.newPage();
  await signIn(erin, "engineer@rollgate.dev", { to: false });
  const api = async (method: string, path: string, data?: unknown) => {
    const res = await erin.request.fetch(path, { method, data, headers: fromPage(erin) });
    expect(res.status(), `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };
  await api("POST", "/api/v1/flags", { key: flagKey });
  const rollout = await api("POST", "/api/v1/rollouts", { flagKey, environment: "production", phases: [{ name: "10 %", percent: 10 }] });
  await api("POST", `/api/v1/rollouts/${rollout.id}/advance`, { version: rollout.version });
  await erin.close();

  await signIn(page, "oncall@rollgate.dev", { to: `/flags/${flagKey}` });
  const consequence = page.getByTestId("kill-consequence");
  await page.getByRole("button", { name: `Kill in production: ${flagKey}` }).click();
  await expect(consequence).toContainText("the live rollout is paused (break-glass: no approval needed)");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: `Kill in staging: ${flagKey}` }).click();
  await expect(consequence).toContainText("An incident is opened.");
  await expect(consequence).not.toContainText("paused");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
});

test("on-call sets the seeds' guardrails on a flag and sees their verdicts", async ({ page }) => {
  await signIn(page, "oncall@rollgate.dev", { to: "/flags/search-ranking-ml" });
  const production = page.getByTestId("guardrails-production");
  await production.getByRole("button", { name: "Use the seeds' alert thresholds" }).click();
  await expect(production.getByRole("status")).toHaveText("Guardrails set");
  await expect(production.getByRole("listitem")).toHaveCount(3);
  await expect(production).toContainText("error rate > 1 %");
  await expect(production).toContainText("→ rollback");
  // The worker judges them within its interval; without traffic it says so instead of calling it healthy.
  await expect(async () => {
    await page.reload();
    await expect(production.getByTestId("verdict").first()).toContainText("not judged: 0 of 100 requests needed in 5 min", {
      timeout: 1000,
    });
  }).toPass({ timeout: 15_000 });
});
