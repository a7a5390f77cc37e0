import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "./test";
import { axeViolations } from "./axe";
import { signIn } from "./helpers";
import { segmentedExport } from "./unleash-exports";

const FIXTURE = path.join(import.meta.dirname, "fixtures/unleash-export.json");

const upload = (page: Page, name: string, content: string | Buffer) =>
  page.getByLabel("Unleash export (JSON)").setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(content) });

test("an admin uploads an Unleash export, sees the dry run, imports it and finds the flags", async ({ page }) => {
  await signIn(page, "admin@rollgate.dev", { to: "/flags" });
  await page.getByRole("link", { name: "Import from Unleash" }).click();
  await expect(page).toHaveURL(/\/admin\/import$/);
  await expect(page.getByRole("heading", { name: "Import from Unleash" })).toBeVisible();

  // Bad files are refused with a message under the file input, and nothing is sent.
  const fileError = page.getByTestId("file-error");
  await upload(page, "export.json", "{ this is not json");
  await expect(fileError).toHaveText(/not valid JSON/);
  await upload(page, "export.json", JSON.stringify({ toggles: [] }));
  await expect(fileError).toHaveText("The file was refused: not an Unleash export: there is no `features` list.");
  await upload(page, "export.json", JSON.stringify({ features: [{ name: "Dup.Flag" }, { name: "Dup.Flag" }] }));
  await expect(fileError).toHaveText("The file was refused: the export names the feature 'Dup.Flag' more than once.");
  await upload(page, "export.json", Buffer.alloc(10_000_001, 32));
  await expect(fileError).toHaveText("The file is larger than 10 MB.");
  await page.getByRole("button", { name: "Dry run" }).click();
  await expect(page.getByTestId("import-summary")).toHaveCount(0);

  // The fixture: Unleash's "development" has no Rollgate counterpart and is left out by default.
  await upload(page, "unleash-export.json", readFileSync(FIXTURE));
  await expect(fileError).toHaveCount(0);
  await expect(page.getByLabel("Unleash development →")).toHaveValue("");
  await expect(page.getByLabel("Unleash production →")).toHaveValue("production");

  // Skipping what cannot be reproduced leaves the host-dependent flag out of the plan.
  await page.getByLabel("Skip them").check();
  await page.getByRole("button", { name: "Dry run" }).click();
  await expect(page.getByTestId("import-summary")).toContainText("2 to create, 0 to update, 0 unchanged, 2 skipped.");
  await expect(page.getByTestId("import-row-Search.Facets")).toContainText("cannot be reproduced exactly");

  await page.getByLabel("Import them disabled").check();
  await expect(page.getByTestId("import-summary")).toHaveCount(0); // a new choice needs a new dry run
  await page.getByRole("button", { name: "Dry run" }).click();
  const summary = page.getByTestId("import-summary");
  await expect(summary).toContainText("Dry run: nothing has changed yet. 3 to create, 0 to update, 0 unchanged, 1 skipped.");
  const oneClick = page.getByTestId("import-row-Checkout.OneClick");
  await expect(oneClick).toContainText("buckets users by ‘checkout’");
  await expect(oneClick).toContainText("production: 25 % + 2 allowlisted exact");
  const facets = page.getByTestId("import-row-Search.Facets");
  await expect(facets).toContainText("not exact");
  await expect(facets).toContainText("the applicationHostname strategy (it depends on the host that evaluates)");
  await expect(facets).toContainText("imported disabled");
  await expect(page.getByTestId("import-row-Pricing.Annual")).toContainText("production: 100 % exact");
  await expect(page.getByTestId("import-row-legacy-banner")).toContainText("archived in Unleash");
  // The dry run wrote nothing.
  expect((await page.request.get("/api/v1/flags/Checkout.OneClick")).status()).toBe(404);

  expect((await axeViolations(page)).map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await page.getByRole("button", { name: "Import 3 flags" }).click();
  await expect(summary).toContainText("Imported. 3 created, 0 updated, 0 unchanged, 1 skipped.");
  const flag = (await (await page.request.get("/api/v1/flags/Checkout.OneClick")).json()) as {
    bucketGroup: string;
    environments: Record<string, { enabled: boolean; rolloutPercent: number; allowlist: string[] }>;
  };
  expect(flag.bucketGroup).toBe("checkout");
  expect(flag.environments.production).toMatchObject({ enabled: true, rolloutPercent: 25, allowlist: ["qa-1", "qa-2"] });

  // Importing the same file again changes nothing.
  await page.getByRole("button", { name: "Dry run" }).click();
  await expect(summary).toContainText("0 to create, 0 to update, 3 unchanged, 1 skipped.");
  await expect(page.getByRole("button", { name: "Nothing to import" })).toBeDisabled();

  await page.goto("/flags");
  for (const key of ["Checkout.OneClick", "Search.Facets", "Pricing.Annual"]) {
    await expect(page.getByTestId(`flag-row-${key}`)).toContainText("Imported from Unleash");
  }
  await expect(page.getByTestId("flag-row-legacy-banner")).toHaveCount(0);
});

test("only admins see the import", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: "/flags" });
  await expect(page.getByRole("link", { name: "Import from Unleash" })).toHaveCount(0);
  await page.goto("/admin/import");
  await expect(page).toHaveURL(/\/flags$/);
});

test("the dry run lists the export's segments with their rules, and the import creates them", async ({ page }) => {
  await signIn(page, "admin@rollgate.dev", { to: "/admin/import" });
  // Names of their own, so a retry against the same server imports something new.
  const name = `Imported testers ${Date.now()}`;
  const flag = `Imported.Banner${Date.now()}`;
  const exported = segmentedExport(flag, 100, [
    { id: 41, name, constraints: [{ contextName: "tier", operator: "IN", values: ["beta", "staff"] }] },
  ]);

  await upload(page, "segments.json", JSON.stringify(exported));
  await page.getByRole("button", { name: "Dry run" }).click();
  const segment = page.getByTestId("import-segment-41");
  await expect(segment).toContainText(name);
  await expect(segment).toContainText("create");
  await expect(segment).toContainText("tier is one of beta or staff");
  // The flag's targeting counts in its state: a 0 % flag with a strategy is not "off".
  await expect(page.getByTestId(`import-row-${flag}`)).toContainText("production: 0 % + 1 strategy exact");
  expect((await axeViolations(page)).map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await page.getByRole("button", { name: "Import 1 flag" }).click();
  await expect(page.getByTestId("import-summary")).toContainText("Imported. 1 created");
  await expect(segment).toContainText(/Rollgate id \d+/);
  const listed = (await (await page.request.get("/api/v1/segments")).json()) as { segments: { name: string }[] };
  expect(listed.segments.map((s) => s.name)).toContain(name);
});
