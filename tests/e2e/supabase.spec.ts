import { expect, test, type Page } from "./test";
import type { E2EServer } from "./servers";
import { SUPABASE_USERS } from "./supabase-users";

// serve.ts runs each server with SUPABASE_URL pointing at a local stand-in of Supabase Auth.
const standin = (server: E2EServer) => `http://127.0.0.1:${server.supabasePort}`;
const password = (email: string) => SUPABASE_USERS.find((u) => u.email === email)!.password;

async function openSupabaseForm(page: Page, path = "/sign-in") {
  await page.goto(path);
  await page.getByRole("button", { name: "Continue with Supabase" }).click();
}

test("a Supabase password sign-in lands on the dashboard with the roles Rollgate gave that email", async ({ page }) => {
  await openSupabaseForm(page);
  await page.getByLabel("Supabase email").fill("po@rollgate.dev");
  await page.getByLabel("Supabase password").fill(password("po@rollgate.dev"));
  await page.getByRole("button", { name: "Continue with password" }).click();
  // A product owner with the demo rollout waiting for a form lands on the approvals inbox.
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.getByTestId("current-user")).toHaveText("Priya Product");
  await expect(page.getByRole("banner")).toContainText("Product owner");
  await expect(page.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);

  // An ordinary Rollgate session: the audit log shows the sign-in and how it was made.
  await page.getByRole("link", { name: "Audit log" }).click();
  // Sign-ins are hidden unless asked for.
  await page.getByLabel("Show sign-ins").check();
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("row", { name: /session\.sign_in/ }).first()).toContainText("supabase");
});

test("a wrong Supabase password is Supabase's error, shown on the form", async ({ page }) => {
  await openSupabaseForm(page);
  await page.getByLabel("Supabase email").fill("po@rollgate.dev");
  await page.getByLabel("Supabase password").fill("not-the-password");
  await page.getByRole("button", { name: "Continue with password" }).click();
  await expect(page.getByTestId("supabase-sign-in").getByRole("alert")).toHaveText("Invalid login credentials");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("someone Supabase knows but Rollgate does not is asked to get access from an admin, and gets no session", async ({ page }) => {
  await openSupabaseForm(page);
  await page.getByLabel("Supabase email").fill("stranger@example.com");
  await page.getByLabel("Supabase password").fill(password("stranger@example.com"));
  await page.getByRole("button", { name: "Continue with password" }).click();
  await expect(page).toHaveURL(/\/sign-in\/no-access/);
  await expect(page.getByRole("heading", { name: "Ask an admin for access" })).toBeVisible();
  await expect(page.getByTestId("no-access-email")).toHaveText("stranger@example.com");
  await page.goto("/flags");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fflags$/);
});

test("a Supabase magic link signs in", async ({ page, request, server }) => {
  await openSupabaseForm(page);
  await page.getByLabel("Supabase email").fill("engineer@rollgate.dev");
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toHaveText("Check engineer@rollgate.dev for a sign-in link.");

  const { link } = (await (await request.get(`${standin(server)}/__standin/last-link?email=engineer@rollgate.dev`)).json()) as {
    link: string;
  };
  expect(link).toMatch(/\/sign-in\/supabase#access_token=/);
  await page.goto(link);
  await expect(page).toHaveURL(/\/flags$/);
  await expect(page.getByTestId("current-user")).toHaveText("Erin Engineer");
});

test("a Supabase sign-in, by password or by a link opened in a new tab, comes back to the page that sent someone to sign in", async ({
  page,
  request,
  server,
}) => {
  // Signed out, a link to a dashboard page leads to sign-in, which remembers it.
  await page.goto("/segments");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fsegments$/);
  await page.getByRole("button", { name: "Continue with Supabase" }).click();
  await page.getByLabel("Supabase email").fill("po@rollgate.dev");
  await page.getByLabel("Supabase password").fill(password("po@rollgate.dev"));
  await page.getByRole("button", { name: "Continue with password" }).click();
  // Not the approvals inbox a product owner otherwise lands on.
  await expect(page).toHaveURL(/\/segments$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  // Signed out once the action answered: a sign-in page opened before that still sees the session
  // and sends its user on to `next` (a CI run clicked into that gap).
  await expect(page).toHaveURL(/\/sign-in$/);

  await openSupabaseForm(page, `/sign-in?next=${encodeURIComponent("/incidents?status=all")}`);
  await page.getByLabel("Supabase email").fill("engineer@rollgate.dev");
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toHaveText("Check engineer@rollgate.dev for a sign-in link.");
  const { link } = (await (await request.get(`${standin(server)}/__standin/last-link?email=engineer@rollgate.dev`)).json()) as {
    link: string;
  };
  // From the mail: another tab of the same browser.
  const fromMail = await page.context().newPage();
  await fromMail.goto(link);
  await expect(fromMail).toHaveURL(/\/incidents\?status=all$/);
  await expect(fromMail.getByTestId("current-user")).toHaveText("Erin Engineer");
  // Used once: the next link lands as usual.
  expect(await fromMail.evaluate(() => localStorage.getItem("rollgate.signInNext"))).toBeNull();
});
