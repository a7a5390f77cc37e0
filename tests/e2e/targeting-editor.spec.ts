import { expect, test, type Page } from "./test";
import { axeViolations } from "./axe";
import { fromPage, signIn } from "./helpers";

// Issue 25: the flag page edits strategies, constraints and segments, with the server's messages on
// the fields they name, at a desktop and a phone size; viewers read the same strategies in words.

interface StoredState {
  version: number;
  targeting: { strategies: { title?: string; rollout: number; constraints: unknown[]; segments: number[] }[] } | null;
}

async function stagingState(page: Page, key: string): Promise<StoredState> {
  const res = await page.request.get(`/api/v1/flags/${key}`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { environments: Record<string, StoredState> }).environments.staging!;
}

/** A fresh flag and a segment of its own, so each run starts from the plain rollout. */
async function flagAndSegment(page: Page, tag: string): Promise<{ key: string; segment: { id: number; name: string } }> {
  const headers = fromPage(page);
  const key = `targeting-editor-${tag}-${Date.now()}`;
  expect((await page.request.post("/api/v1/flags", { headers, data: { key } })).status()).toBe(201);
  const name = `Beta ${tag} ${Date.now()}`;
  const made = await page.request.post("/api/v1/segments", {
    headers,
    data: { name, constraints: [{ contextName: "tenant", operator: "IN", values: ["t-1", "t-2"] }] },
  });
  expect(made.status()).toBe(201);
  return { key, segment: { id: ((await made.json()) as { id: number }).id, name } };
}

/** Nothing wider than the screen, and nothing axe objects to. */
async function looksRight(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  expect((await axeViolations(page)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`)).toEqual([]);
}

for (const [size, width, height] of [
  ["desktop", 1440, 900],
  ["phone", 390, 844],
] as const) {
  test(`an engineer targets Staff and 10 % of a segment, is told what is wrong, reorders, removes and saves (${size})`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height });
    await signIn(page, "engineer@rollgate.dev", { to: false });
    const { key, segment } = await flagAndSegment(page, size);
    await page.goto(`/flags/${key}`);
    const section = page.getByTestId("targeting-staging");
    await expect(section).toContainText("No strategies: the rollout (its percentage and any phase segments) alone decides.");

    // 1. "Staff": email ends with @acme.com, for everyone of them.
    await section.getByRole("button", { name: "Add strategy" }).click();
    const staff = section.getByTestId("strategy-0");
    await staff.getByLabel("Title").fill("Staff");
    await staff.getByLabel("Context field").fill("email");
    await staff.getByLabel("Operator").selectOption("STR_ENDS_WITH");
    await staff.getByLabel("Values").fill("@acme.com");
    await staff.getByRole("button", { name: "Done editing Staff" }).click();
    await expect(staff.getByTestId("strategy-words")).toHaveText("email ends with @acme.com");

    // 2. 10 % of the segment, without constraints of its own.
    await section.getByRole("button", { name: "Add strategy" }).click();
    const beta = section.getByTestId("strategy-1");
    await beta.getByLabel("Title").fill("Beta");
    await beta.getByLabel("Rollout %").fill("10");
    await beta.getByRole("button", { name: "Remove constraint 1" }).click();
    await beta.getByLabel(segment.name).check();
    await expect(beta.getByTestId("strategy-words")).toHaveText(
      `10 % of ${segment.name} (tenant is one of t-1 or t-2), by user or session`,
    );
    await beta.getByRole("button", { name: "Done editing Beta" }).click();

    // 3. A number compared with "abc": the message is on that value, and nothing is stored.
    await section.getByRole("button", { name: "Add strategy" }).click();
    const broken = section.getByTestId("strategy-2");
    await broken.getByLabel("Title").fill("Broken");
    await broken.getByLabel("Context field").fill("seats");
    await broken.getByLabel("Operator").selectOption("NUM_GT");
    await broken.getByLabel("Value").fill("abc");
    await broken.getByRole("button", { name: "Done editing Broken" }).click();
    await section.getByRole("button", { name: "Save targeting of staging" }).click();
    await expect(broken.getByRole("alert")).toHaveText("must be a number, like 42 or 3.5");
    await expect(broken.getByLabel("Value")).toHaveAttribute("aria-invalid", "true");
    expect(await stagingState(page, key)).toMatchObject({ version: 1, targeting: null });
    await looksRight(page);

    // 4. Remove it, put the segment first, save.
    await broken.getByRole("button", { name: "Remove Broken" }).click();
    await section.getByRole("button", { name: "Move Beta up" }).click();
    await expect(section.getByTestId("strategy-0").getByTestId("strategy-words")).toContainText(`10 % of ${segment.name}`);
    await expect(section.getByTestId("strategy-1").getByTestId("strategy-words")).toHaveText("email ends with @acme.com");
    await expect(section.getByTestId("strategy-2")).toHaveCount(0);
    await section.getByRole("button", { name: "Save targeting of staging" }).click();
    await expect(section.getByTestId("targeting-saved")).toHaveText("✓ Saved the targeting of staging: version 2");

    const stored = await stagingState(page, key);
    expect(stored.version).toBe(2);
    expect(stored.targeting?.strategies).toMatchObject([
      { title: "Beta", rollout: 10, stickiness: "default", constraints: [], segments: [segment.id] },
      {
        title: "Staff",
        rollout: 100,
        constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }],
        segments: [],
      },
    ]);

    // 5. After a reload the stored strategies read the same; clearing asks first, then goes back to the plain rollout.
    await page.reload();
    await expect(section.getByTestId("strategy-1").getByTestId("strategy-words")).toHaveText("email ends with @acme.com");
    await section.getByRole("button", { name: "Clear targeting…" }).click();
    const dialog = page.getByRole("dialog", { name: "Clear the targeting of staging?" });
    await expect(dialog).toContainText("on for 0 % of everyone");
    await looksRight(page);
    await dialog.getByRole("button", { name: "Clear targeting" }).click();
    await expect(section.getByTestId("targeting-saved")).toHaveText("✓ Saved the targeting of staging: version 3");
    await expect(section).toContainText("No strategies: the rollout (its percentage and any phase segments) alone decides.");
    expect(await stagingState(page, key)).toMatchObject({ version: 3, targeting: null });
  });
}

test("a save against a version changed elsewhere says so, shows the current strategies, and saves nothing", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: false });
  const { key } = await flagAndSegment(page, "conflict");
  await page.goto(`/flags/${key}`);
  const section = page.getByTestId("targeting-staging");
  await section.getByRole("button", { name: "Add strategy" }).click();
  await section.getByLabel("Title").fill("Mine");
  await section.getByLabel("Context field").fill("country");
  await section.getByLabel("Values").fill("CA");
  // Someone else targets staging in between.
  const theirs = await page.request.patch(`/api/v1/flags/${key}/environments/staging`, {
    headers: fromPage(page),
    data: { version: 1, targeting: { strategies: [{ rollout: 50, title: "Theirs" }] } },
  });
  expect(theirs.status()).toBe(200);
  await section.getByRole("button", { name: "Save targeting of staging" }).click();
  const conflict = section.getByTestId("targeting-conflict");
  await expect(conflict).toContainText("Changed elsewhere: this state is now version 2");
  await expect(conflict).toContainText("Theirs: 50 % of everyone, by user or session");
  expect((await stagingState(page, key)).targeting?.strategies).toMatchObject([{ title: "Theirs", rollout: 50 }]);

  // Keeping mine and saving again overwrites version 2.
  await conflict.getByRole("button", { name: "Keep mine (save again to overwrite)" }).click();
  await section.getByRole("button", { name: "Save targeting of staging" }).click();
  await expect(section.getByTestId("targeting-saved")).toHaveText("✓ Saved the targeting of staging: version 3");
  expect((await stagingState(page, key)).targeting?.strategies).toMatchObject([
    { title: "Mine", constraints: [{ contextName: "country" }] },
  ]);
});

test("in production a targeting save needs a reason, which the audit log keeps", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: false });
  const { key } = await flagAndSegment(page, "production");
  await page.goto(`/flags/${key}`);
  const section = page.getByTestId("targeting-production");
  await section.getByRole("button", { name: "Add strategy" }).click();
  await section.getByLabel("Title").fill("Canada");
  await section.getByLabel("Context field").fill("country");
  await section.getByLabel("Values").fill("CA");
  const reason = section.getByLabel("Reason (required in production, goes to the audit log)");
  await section.getByRole("button", { name: "Save targeting of production" }).click();
  // No reason: refused next to the field, and nothing saved.
  await expect(section.getByText("say why (at least 3 characters)")).toBeVisible();
  await expect(section.getByTestId("targeting-error")).toHaveText("Say why you change this environment");
  await expect(reason).toHaveAttribute("aria-invalid", "true");
  const flag = async () =>
    ((await (await page.request.get(`/api/v1/flags/${key}`)).json()) as { environments: Record<string, StoredState> }).environments
      .production!;
  expect(await flag()).toMatchObject({ version: 1, targeting: null });

  await reason.fill("ticket 4121: Canada first");
  await section.getByRole("button", { name: "Save targeting of production" }).click();
  await expect(section.getByTestId("targeting-saved")).toHaveText("✓ Saved the targeting of production: version 2");
  expect((await flag()).targeting?.strategies).toMatchObject([{ title: "Canada", constraints: [{ contextName: "country" }] }]);
  const audit = await page.request.get(`/api/v1/audit?target=${key}`);
  const entries = ((await audit.json()) as { entries: { action: string; reason: string | null }[] }).entries;
  expect(entries).toContainEqual(
    expect.objectContaining({ action: expect.stringMatching(/^flag_state\./), reason: "ticket 4121: Canada first" }),
  );
});

test("a viewer reads the strategies in words and gets no controls", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: false });
  const { key, segment } = await flagAndSegment(page, "viewer");
  const res = await page.request.patch(`/api/v1/flags/${key}/environments/staging`, {
    headers: fromPage(page),
    data: {
      version: 1,
      targeting: {
        strategies: [
          { title: "Staff", rollout: 100, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }] },
          { rollout: 10, segments: [segment.id] },
        ],
      },
    },
  });
  expect(res.status()).toBe(200);
  await page.context().clearCookies();
  await signIn(page, "viewer@rollgate.dev", { to: `/flags/${key}` });
  const words = page.getByTestId("targeting-staging").getByTestId("targeting-words").getByRole("listitem");
  await expect(words).toHaveText([
    "On for Staff: email ends with @acme.com",
    `or 10 % of ${segment.name} (tenant is one of t-1 or t-2), by user or session`,
  ]);
  await expect(page.getByRole("button", { name: "Add strategy" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Save targeting/ })).toHaveCount(0);
});

test("an engineer adds variants with a typed payload and a dependency, fixing what the server refuses", async ({ page }) => {
  await signIn(page, "engineer@rollgate.dev", { to: false });
  const { key } = await flagAndSegment(page, "variants");
  await page.goto(`/flags/${key}`);
  const section = page.getByTestId("targeting-staging");
  const variants = section.getByTestId("flag-variants");
  await variants.getByRole("button", { name: "Add variant" }).click();
  await variants.getByRole("button", { name: "Add variant" }).click();
  await variants.getByTestId("variant-0").getByLabel("Variant name").fill("blue");
  await variants
    .getByTestId("variant-0")
    .getByRole("combobox", { name: /^Payload/ })
    .selectOption("json");
  await variants.getByTestId("variant-0").getByLabel("Payload value").fill("{not json");
  await variants.getByTestId("variant-1").getByLabel("Variant name").fill("green");
  await variants.getByTestId("variant-1").getByLabel("Weight").fill("300");
  const dependencies = section.getByTestId("dependencies");
  await dependencies.getByRole("button", { name: "Add dependency" }).click();
  await dependencies.getByLabel("Parent flag key").fill("no-such-flag");
  await section.getByRole("button", { name: "Save targeting of staging" }).click();
  await expect(variants.getByTestId("variant-0").getByRole("alert")).toHaveText("must be valid JSON");
  expect((await stagingState(page, key)).version).toBe(1);

  await variants.getByTestId("variant-0").getByLabel("Payload value").fill('{"color":"#00f"}');
  await section.getByRole("button", { name: "Save targeting of staging" }).click();
  // The schema passes now; the service says the parent does not exist.
  await expect(dependencies.getByRole("alert")).toHaveText("no flag 'no-such-flag'");
  expect((await stagingState(page, key)).version).toBe(1);

  await dependencies.getByLabel("Parent flag key").fill("dark-mode");
  await section.getByRole("button", { name: "Save targeting of staging" }).click();
  await expect(section.getByTestId("targeting-saved")).toHaveText("✓ Saved the targeting of staging: version 2");
  const res = await page.request.get(`/api/v1/flags/${key}`);
  const stored = ((await res.json()) as { environments: Record<string, { targeting: unknown }> }).environments.staging!.targeting;
  expect(stored).toEqual({
    strategies: [],
    variants: [
      { name: "blue", weight: 500, payload: { type: "json", value: '{"color":"#00f"}' } },
      { name: "green", weight: 300 },
    ],
    dependencies: [{ feature: "dark-mode" }],
  });
});
