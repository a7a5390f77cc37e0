import { expect, test } from "./test";
import { checkLayoutAndAxe, DEMO_PASSWORD, signIn } from "./helpers";

// A page that updates itself says when it has stopped (components/live/live-status-banner.tsx): an
// overview left open looks the same whether it follows the server or not.

test("signed out in another tab: the open flag list says it stopped updating, and signing in again comes back to it, live", async ({
  page,
}) => {
  // A session of this test's own: ending it must not end the one other specs of this worker reuse.
  await signIn(page, "oncall@rollgate.dev", { fresh: true, to: "/flags?q=checkout" });
  const banner = page.getByTestId("live-status");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(banner).toBeEmpty();

  const otherTab = await page.context().newPage();
  await otherTab.goto("/flags");
  await otherTab.getByRole("button", { name: "Sign out" }).click();
  await expect(otherTab).toHaveURL(/\/sign-in$/);
  await otherTab.close();

  // The server ends the list's stream at once (NOTIFY on sign-out); the browser's retry is refused
  // with a 401, and the page asks why once the stream has been down for 4 s.
  // Since when, so a reader knows how old what they see may be.
  await expect(banner).toContainText(/You were signed out, so this page has not updated since \d{2}:\d{2}/, { timeout: 15_000 });
  await checkLayoutAndAxe(page, "flag list signed out");

  await banner.getByRole("link", { name: "Sign in again" }).click();
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fflags%3Fq%3Dcheckout$/);
  await page.getByLabel("Email").fill("oncall@rollgate.dev");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  const streamOpened = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/live" && r.status() === 200);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back on the page it was, not on the landing page.
  await expect(page).toHaveURL(/\/flags\?q=checkout$/);
  await streamOpened;
  await expect(page.getByTestId("live-status")).toBeEmpty();
});

test("the server out of reach: live updates paused until the stream is back", async ({ page }) => {
  // A proxy answering 502 during a deploy: to the stream, and to the question why.
  let refused = 0;
  await page.route("**/api/v1/live", async (route) => {
    refused++;
    await route.fulfill({ status: 502, contentType: "text/plain", body: "Bad Gateway" });
  });
  await signIn(page, "viewer@rollgate.dev", { to: "/flags" });
  const banner = page.getByTestId("live-status");
  await expect(banner).toContainText(/Live updates paused since \d{2}:\d{2}.*: Rollgate cannot be reached/, { timeout: 20_000 });
  // The stream, its retry two seconds later, and the HEAD that asked why.
  expect(refused).toBeGreaterThanOrEqual(3);
  await checkLayoutAndAxe(page, "flag list unreachable");

  await page.unroute("**/api/v1/live");
  // The next attempt (backing off, at most 30 s after the last) gets a stream again.
  await expect(banner).toBeEmpty({ timeout: 40_000 });
});
