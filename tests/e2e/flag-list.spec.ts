import path from "node:path";
import pg from "pg";
import { expect, test, type Page } from "./test";
import { axeViolations } from "./axe";
import { fromPage, signIn } from "./helpers";
import type { E2EServer } from "./servers";
import { databaseUrl, embeddedServerUrl } from "../../lib/db/embedded-postgres";
import { runningPostmaster } from "../../lib/db/postmaster-recovery";
import { scratchPath } from "../support/scratch";

/**
 * Runs one statement on the worker server's own database (tests/e2e/serve.ts: an embedded PostgreSQL
 * in .data/e2e-<port>): for what no request can do, such as a flag that has existed for 60 days.
 */
async function onServerDatabase(server: E2EServer, text: string, params: unknown[]): Promise<number> {
  const running = runningPostmaster(path.join(scratchPath(`e2e-${server.port}`), "postgres"));
  if (!running) throw new Error(`no PostgreSQL running for the server on port ${server.port}`);
  const client = new pg.Client({ connectionString: databaseUrl(embeddedServerUrl(running.port, running.host), "rollgate") });
  await client.connect();
  try {
    return (await client.query(text, params)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

// Issue 26: the flag list for thousands of flags, at a desktop and a phone size. Each size makes its
// own flags (prefix lst<width>-) so the two tests never see each other's.
const SIZES = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
] as const;

async function createFlags(page: Page, prefix: string) {
  for (let i = 1; i <= 12; i++) {
    const key = `${prefix}${String(i).padStart(2, "0")}`;
    const res = await page.request.post("/api/v1/flags", {
      headers: fromPage(page),
      data: {
        key,
        description: i === 7 ? `The needle in the haystack of ${prefix}` : "A listed flag",
        owner: i % 2 ? `team-${prefix}` : null,
      },
    });
    expect(res.status(), await res.text()).toBe(201);
  }
  const flag = (await (await page.request.get(`/api/v1/flags/${prefix}03`)).json()) as {
    environments: { production: { version: number } };
  };
  const res = await page.request.patch(`/api/v1/flags/${prefix}03/environments/production`, {
    headers: fromPage(page),
    data: { version: flag.environments.production.version, enabled: true, rolloutPercent: 30, reason: "start the test" },
  });
  expect(res.status(), await res.text()).toBe(200);
}

const rows = (page: Page) => page.locator('[data-testid^="flag-row-"]');

/**
 * The filters besides the search box. On a phone they are folded behind "More filters" while none of
 * them shapes the view (so the list starts on the first screen); this unfolds them there and checks
 * they are in sight at any size.
 */
async function unfoldFilters(page: Page, width: number) {
  const search = page.getByRole("search", { name: "Flags" });
  const more = search.getByRole("link", { name: "More filters" });
  if (width < 640) {
    await expect(search.getByLabel("Environment")).toBeHidden();
    await expect(search.getByLabel("Potentially stale only")).toBeHidden();
    await more.click();
    await expect(more).toBeHidden();
  } else {
    await expect(more).toBeHidden();
  }
  await expect(search.getByLabel("Environment")).toBeVisible();
  await expect(search.getByLabel("Potentially stale only")).toBeVisible();
}

async function expectAccessibleAndNarrow(page: Page, width: number) {
  // A button still under the pointer shows its hover colour, which is not what axe should judge.
  await page.mouse.move(0, 0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  expect((await axeViolations(page)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`)).toEqual([]);
}

for (const { width, height } of SIZES) {
  test(`at ${width} px: search, filter by state and owner, page through, the stale filter, bulk archive`, async ({ page }) => {
    const prefix = `lst${width}-`;
    await page.setViewportSize({ width, height });
    await signIn(page, "engineer@rollgate.dev", { to: "/flags" });
    // The New flag form: beside the list on a desktop; on a phone folded away behind "New flag", so
    // the list comes first, and unfolded (focus moving in by Tab) when that is tapped.
    const newFlag = page.getByRole("link", { name: "New flag", exact: true });
    const form = page.getByRole("region", { name: "New flag" });
    if (width < 640) {
      await expect(form).toBeHidden();
      await newFlag.click();
      await expect(form.getByLabel("Key")).toBeVisible();
      await page.keyboard.press("Tab");
      await expect(form.getByLabel("Key")).toBeFocused();
    } else {
      await expect(newFlag).toBeHidden();
      await expect(form.getByLabel("Key")).toBeVisible();
    }
    await createFlags(page, prefix);

    // Search (server-side, in the URL).
    const search = page.getByRole("search", { name: "Flags" });
    await search.getByLabel("Search").fill(`${prefix}`);
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(new RegExp(`q=${prefix}`));
    await expect(rows(page)).toHaveCount(12);
    await search.getByLabel("Search").fill(`needle in the HAYSTACK of ${prefix}`);
    await search.getByRole("button", { name: "Search" }).click();
    await expect(rows(page)).toHaveCount(1);
    await expect(page.getByTestId(`flag-row-${prefix}07`)).toBeVisible();
    // The flag found is on the first screen, at either size.
    expect((await page.getByTestId(`flag-row-${prefix}07`).boundingBox())!.y).toBeLessThan(height);
    await expectAccessibleAndNarrow(page, width);

    // State in production, then owner. A view narrowed by them keeps them unfolded, also on a phone.
    await unfoldFilters(page, width);
    await search.getByLabel("Search").fill(prefix);
    await search.getByLabel("Environment").selectOption("production");
    await search.getByLabel("State").selectOption("rolling_out");
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/state=rolling_out/);
    await expect(rows(page)).toHaveCount(1);
    await expect(search.getByLabel("State")).toBeVisible();
    await expect(search.getByRole("link", { name: "More filters" })).toHaveCount(0);
    await expect(page.getByTestId(`flag-row-${prefix}03`)).toContainText("Rolling out · 30%");
    await search.getByLabel("State").selectOption("");
    await search.getByLabel("Owner").fill(`TEAM-${prefix}`);
    await search.getByRole("button", { name: "Search" }).click();
    await expect(rows(page)).toHaveCount(6);
    await expect(page.getByTestId(`flag-row-${prefix}01`)).toContainText(`Owner: team-${prefix}`);
    await expect(page.getByTestId(`flag-row-${prefix}02`)).toHaveCount(0);

    // Pages of five, forwards and back; the filtered view is a link that opens as it was.
    await page.goto(`/flags?q=${prefix}&limit=5`);
    const pages = page.getByRole("navigation", { name: "Pages" });
    await expect(rows(page)).toHaveCount(5);
    await expect(rows(page).first()).toHaveAttribute("data-testid", `flag-row-${prefix}01`);
    await pages.getByRole("link", { name: "Next →" }).click();
    await expect(rows(page).first()).toHaveAttribute("data-testid", `flag-row-${prefix}06`);
    await pages.getByRole("link", { name: "Next →" }).click();
    await expect(rows(page)).toHaveCount(2);
    await expect(pages.getByRole("link", { name: "Next →" })).toHaveCount(0);
    await pages.getByRole("link", { name: "← Previous" }).click();
    await expect(rows(page).first()).toHaveAttribute("data-testid", `flag-row-${prefix}06`);
    await expect(rows(page)).toHaveCount(5);
    await expectAccessibleAndNarrow(page, width);

    // Stale: these flags are minutes old and nothing in them has been on for 30 days.
    await page.goto(`/flags?q=${prefix}`);
    await unfoldFilters(page, width);
    await expectAccessibleAndNarrow(page, width);
    await search.getByLabel("Potentially stale only").check();
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/stale=1/);
    await expect(page.getByText("No flags match.")).toBeVisible();

    // Bulk archive: a reason is required; two selected flags go with one reason.
    await page.goto(`/flags?q=${prefix}`);
    const bulk = page.getByRole("form", { name: "Archive selected flags" });
    await page.getByLabel(`Select ${prefix}05`).check();
    await page.getByLabel(`Select ${prefix}06`).check();
    await bulk.getByRole("button", { name: "Archive selected" }).click();
    await expect(bulk.getByRole("alert")).toContainText("say why");
    await bulk.getByLabel("Reason for archiving the selected flags").fill("experiment over, code removed");
    await bulk.getByRole("button", { name: "Archive selected" }).click();
    await expect(bulk.getByRole("status")).toContainText(`Archived 2 flags: ${prefix}05, ${prefix}06`);
    await expect(rows(page)).toHaveCount(10);
    await expect(page.getByTestId(`flag-row-${prefix}05`)).toHaveCount(0);
    await expectAccessibleAndNarrow(page, width);

    await page.goto(`/audit`);
    const entry = page.getByTestId("audit-row").first();
    await expect(entry).toContainText("experiment over, code removed");
    // An entry's number and time share its first line, in a table row or a phone's card.
    const [number, time] = [(await entry.locator("td").nth(0).boundingBox())!, (await entry.locator("td").nth(1).boundingBox())!];
    expect(Math.abs(number.y - time.y)).toBeLessThan(4);
  });
}

for (const { width, height } of SIZES) {
  test(`at ${width} px: owner and tags edited on the flag page and filtered by; a stale flag listed and archived with a reason`, async ({
    page,
    server,
  }) => {
    const prefix = `cat${width}-`;
    const tag = `cleanup-${width}`;
    await page.setViewportSize({ width, height });
    await signIn(page, "engineer@rollgate.dev", { to: "/flags" });
    for (const key of [`${prefix}owned`, `${prefix}other`, `${prefix}old`]) {
      const res = await page.request.post("/api/v1/flags", { headers: fromPage(page), data: { key, description: "Catalog test" } });
      expect(res.status(), await res.text()).toBe(201);
    }

    // Owner and tags, set on the flag's page.
    await page.goto(`/flags/${prefix}owned`);
    await page.getByLabel("Owner").fill(`Team Search ${width}`);
    await page.getByLabel("Tags").fill(`ranking, ${tag}`);
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Settings saved")).toBeVisible();
    await page.reload();
    await expect(page.getByLabel("Owner")).toHaveValue(`Team Search ${width}`);
    await expect(page.getByLabel("Tags")).toHaveValue(`ranking, ${tag}`);
    await expectAccessibleAndNarrow(page, width);

    // …shown in the list, and filtered by: the tag's link, then the owner field (any case).
    await page.goto(`/flags?q=${prefix}`);
    const owned = page.getByTestId(`flag-row-${prefix}owned`);
    await expect(owned.getByTestId("flag-owner")).toHaveText(`Owner: Team Search ${width}`);
    await owned.getByRole("link", { name: `#${tag}` }).click();
    await expect(page).toHaveURL(new RegExp(`tag=${tag}`));
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toHaveAttribute("data-testid", `flag-row-${prefix}owned`);
    const search = page.getByRole("search", { name: "Flags" });
    await page.goto(`/flags?q=${prefix}`);
    await expect(rows(page)).toHaveCount(3);
    await unfoldFilters(page, width);
    await search.getByLabel("Owner").fill(`team search ${width}`);
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/owner=/);
    await expect(rows(page)).toHaveCount(1);
    await expect(page.getByTestId(`flag-row-${prefix}owned`)).toBeVisible();

    // A flag created 60 days ago that nothing evaluated is potentially stale; the others are new.
    expect(
      await onServerDatabase(server, "UPDATE flags SET created_at = now() - interval '60 days' WHERE key = $1", [`${prefix}old`]),
    ).toBe(1);
    await page.goto(`/flags?q=${prefix}`);
    await expect(page.getByTestId(`flag-row-${prefix}old`).getByTestId("stale-marker")).toHaveText(
      "Potentially stale: not evaluated for 30 days",
    );
    await expect(page.getByTestId(`flag-row-${prefix}owned`).getByTestId("stale-marker")).toHaveCount(0);
    await unfoldFilters(page, width);
    await search.getByLabel("Potentially stale only").check();
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/stale=1/);
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toHaveAttribute("data-testid", `flag-row-${prefix}old`);
    await expectAccessibleAndNarrow(page, width);

    // Archived with a reason, which the audit log keeps; the stale view is empty then.
    await page.goto(`/flags?q=${prefix}`);
    const bulk = page.getByRole("form", { name: "Archive selected flags" });
    await page.getByLabel(`Select ${prefix}old`).check();
    await bulk.getByLabel("Reason for archiving the selected flags").fill(`stale since the ${width} px launch`);
    await bulk.getByRole("button", { name: "Archive selected" }).click();
    await expect(bulk.getByRole("status")).toContainText(`Archived 1 flag: ${prefix}old`);
    await expect(rows(page)).toHaveCount(2);
    await expectAccessibleAndNarrow(page, width);
    await page.goto(`/flags?q=${prefix}&stale=1`);
    await expect(page.getByText("No flags match.")).toBeVisible();
    await page.goto("/audit");
    await expect(page.getByTestId("audit-row").first()).toContainText(`stale since the ${width} px launch`);
  });
}
