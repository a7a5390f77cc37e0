import { expect, test, type APIRequestContext, type Page } from "./test";
import { signIn } from "./helpers";
import { E2E_SDK_TOKEN } from "./sdk-token";

const FLAG = "checkout-redesign";

async function sendEvents(request: APIRequestContext, n: number, onErrorShare: number, onLatencyMs: number) {
  const events = Array.from({ length: n }, (_, i) => {
    const variant = i % 2 ? "on" : "off";
    const error = variant === "on" && (i % 100) / 100 < onErrorShare;
    return {
      flagKey: FLAG,
      variant,
      outcome: error ? "error" : "success",
      ...(error ? { errorCode: "E_TIMEOUT" } : {}),
      latencyMs: variant === "on" ? onLatencyMs : 40,
      targetingKey: `user-${i}`,
    };
  });
  const res = await request.post("/api/v1/events", { headers: { authorization: `Bearer ${E2E_SDK_TOKEN}` }, data: { events } });
  expect(res.status()).toBe(202);
}

/**
 * Opens `path` and waits until its dashboard stream is open. Events posted before that would wait for
 * the charts' 15-second poll (seen on a loaded machine). The page before (the sign-in's landing page)
 * may still be opening a stream of its own when this starts, so the stream waited for is the one
 * whose Referer is this document's address, marked for it (taking the landing page's for it let a CI
 * run count this page's own stream as a second one). The server subscribes a stream to metrics
 * before it answers (lib/server/data-plane/live.ts), so its 200 means the notices will come.
 */
async function openWithLiveStream(page: Page, path: string) {
  const mark = `opened=${Date.now()}`;
  const streamRequested = page.waitForRequest(
    (r) => new URL(r.url()).pathname === "/api/v1/live" && (r.headers().referer ?? "").includes(mark),
  );
  await page.goto(`${path}${path.includes("?") ? "&" : "?"}${mark}`);
  expect((await (await streamRequested).response())?.status()).toBe(200);
}

/** The `d` of every line the charts draw, in document order. */
const linePaths = (page: Page) =>
  page.locator("[data-testid=metrics-charts] path.recharts-line-curve").evaluateAll((paths) => paths.map((p) => p.getAttribute("d") ?? ""));

test("charts show traffic and change when new events arrive, without a reload", async ({ page, request }) => {
  await signIn(page, "viewer@rollgate.dev", { to: false });
  // To the flag page from the list, as a person goes: the list's stream stays open for the flag page
  // (components/live/live-stream.ts) instead of closing as the list goes and opening again.
  await openWithLiveStream(page, "/flags");
  const streamsOpened: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/v1/live") streamsOpened.push(`${r.method()} ${r.url()}`);
  });
  await page.getByRole("link", { name: FLAG, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/flags/${FLAG}$`));
  const charts = page.getByTestId("metrics-charts");
  await expect(charts.getByRole("heading", { name: /Metrics/ })).toBeVisible();
  await expect(charts.getByText("No traffic in this range")).toBeVisible();

  await sendEvents(request, 400, 0.02, 80);
  // The stream says events landed, and the charts re-read without a reload (sooner than their 15-s poll).
  await expect(charts.getByTestId("metrics-totals")).toContainText("on: 200 requests", { timeout: 10_000 });
  await expect(charts.getByTestId("chart-success").locator("path.recharts-line-curve")).toHaveCount(2);
  for (const id of ["chart-success", "chart-errors", "chart-latency", "chart-requests", "chart-adoption"]) {
    await expect(charts.getByTestId(id).getByRole("img", { name: /, over time$/ })).toBeVisible();
  }
  const before = await linePaths(page);
  expect(before.filter((d) => d.length > 0).length).toBeGreaterThan(0);

  // An error spike on `on`, slower: success rate, error rate and latency lines must move.
  await sendEvents(request, 400, 0.5, 900);
  await expect(charts.getByTestId("metrics-totals")).toContainText("on: 400 requests", { timeout: 10_000 });
  await expect.poll(async () => JSON.stringify(await linePaths(page)), { timeout: 10_000 }).not.toBe(JSON.stringify(before));

  // Each chart's legend names its series, and pointing at a chart shows the bucket's values: here the
  // last point the `on` line reaches (the spike's bucket, wherever the minute has moved on to since).
  const success = charts.getByTestId("chart-success");
  await expect(success.getByRole("listitem")).toHaveText(["on success", "off success"]);
  const onLine = await success.locator("path.recharts-line-curve").first().getAttribute("d");
  const [x, y] = onLine!
    .match(/-?[\d.]+/g)!
    .slice(-2)
    .map(Number);
  // `force`: the line drawn there takes the pointer, which is where recharts listens anyway.
  await success.locator("svg.recharts-surface").hover({ position: { x: x!, y: y! }, force: true });
  const tooltip = success.locator(".recharts-tooltip-wrapper");
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText(/on success : [\d.]+ %/);
  await expect(tooltip).toContainText(/off success : [\d.]+ %/);
  await page.mouse.move(0, 0);

  // Other ranges read the same traffic.
  await charts.getByRole("button", { name: "24 h" }).click();
  await expect(charts.getByRole("button", { name: "24 h" })).toHaveAttribute("aria-pressed", "true");
  await expect(charts.getByTestId("metrics-totals")).toContainText("on: 400 requests");
  await expect(charts.getByTestId("chart-latency").locator("path.recharts-line-curve")).toHaveCount(6);
  await expect(charts.getByTestId("chart-latency").locator(".recharts-line-dot").first()).toBeVisible();

  // The flag list's stream carried the flag page and its charts: none was opened after it.
  expect(streamsOpened).toEqual([]);
});

test("a page whose stream was refused (a 503 while the database was away) opens it again and follows new events", async ({
  page,
  request,
}) => {
  await signIn(page, "viewer@rollgate.dev", { to: false });
  // The browser gives up on an EventSource for good when the answer is not a stream.
  let refused = 0;
  await page.route(
    "**/api/v1/live",
    async (route) => {
      refused++;
      await route.fulfill({
        status: 503,
        contentType: "application/json",
        body: '{"error":{"code":"UNAVAILABLE","message":"database unavailable"}}',
      });
    },
    { times: 1 },
  );
  // Reopened after 2 s (components/live/live-stream.ts); the old code never did.
  const reopened = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/live" && r.status() === 200, { timeout: 15_000 });
  await sendEvents(request, 100, 0, 80); // traffic to show, whichever tests ran before
  await page.goto(`/flags/${FLAG}`);
  const totals = page.getByTestId("metrics-charts").getByTestId("metrics-totals");
  await expect(totals).toContainText(/on: \d+ requests/);
  const onRequests = async () => Number(/on: (\d+) requests/.exec((await totals.textContent()) ?? "")?.[1]);
  const before = await onRequests();
  await reopened;
  expect(refused).toBe(1);
  // Live again: new events show without a reload, sooner than the charts' 15-s poll.
  await sendEvents(request, 100, 0, 80);
  await expect(totals).toContainText(`on: ${before + 50} requests`, { timeout: 10_000 });
});

test("the metrics API refuses bad parameters and anonymous callers", async ({ page, playwright, baseURL }) => {
  await signIn(page, "viewer@rollgate.dev", { to: false });
  const bad = await page.request.get(`/api/v1/flags/${FLAG}/metrics?bucketSeconds=30`);
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.fields).toHaveProperty("bucketSeconds");
  expect((await page.request.get(`/api/v1/flags/no-such-flag/metrics`)).status()).toBe(404);
  const anonymous = await playwright.request.newContext({ baseURL });
  expect((await anonymous.get(`/api/v1/flags/${FLAG}/metrics`)).status()).toBe(401);
  await anonymous.dispose();
});

test("the rollout page's change vs control chart takes in new randomized traffic without a reload", async ({ page, request }) => {
  await signIn(page, "viewer@rollgate.dev", { to: false });
  const rollouts = (await (await page.request.get("/api/v1/rollouts?flagKey=messaging-v2")).json()) as { rollouts: { id: string }[] };
  await openWithLiveStream(page, `/rollouts/${rollouts.rollouts[0]!.id}`);
  const row = page.getByTestId("comparison-table").getByRole("row", { name: /^10%/ });
  await expect(row).toContainText(" pp");
  const before = await row.textContent();
  // Successful requests only, so no guardrail or gate turns on them.
  const events = Array.from({ length: 400 }, (_, i) => ({
    flagKey: "messaging-v2",
    variant: i % 2 ? "on" : "off",
    reason: "SPLIT",
    outcome: "success",
    latencyMs: 40,
    targetingKey: `comparison-user-${i}`,
  }));
  const res = await request.post("/api/v1/events", { headers: { authorization: `Bearer ${E2E_SDK_TOKEN}` }, data: { events } });
  expect(res.status()).toBe(202);
  // Sooner than the page's own 15-second refresh: the chart re-reads its numbers when the stream says events landed.
  await expect.poll(() => row.textContent(), { timeout: 12_000 }).not.toBe(before);
});
