import { expect, test } from "./test";
import { axeViolations } from "./axe";
import { signIn } from "./helpers";

// Issue 24: a product owner opens every "I have reviewed" item of the approval form, on a desktop and
// on a phone; each shows what it names (the demo's staging history among them), axe finds nothing
// with all of them open, and nothing scrolls sideways.
const SECTIONS: [item: string, shows: RegExp][] = [
  ["change", /production, phase 3 “50%”: on for 10 % → on for 50 %/],
  ["impact assessment", /Messages arrive in order and never twice/],
  ["deployment plan", /50% \(50 %\).*← this approval/],
  ["test results", /Staging: completed[\s\S]*at 100 % for 4 d[\s\S]*1 rollback/],
  ["rollback plan", /restores the flag to off[\s\S]*Exercised: a rollout of this flag was rolled back in Staging/],
  ["monitoring plan", /success criteria: success ≥ 99 %, errors ≤ 1 %, p95 ≤ 1000 ms, ≥ 5000 requests/],
  ["communication plan", /webhooks|nobody is notified/],
  ["current evidence", /on vs off|on\s+[\d,]+/],
];

for (const [name, width, height] of [
  ["desktop", 1440, 900],
  ["phone", 390, 844],
] as const) {
  test(`a product owner opens every reviewed section (${name})`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await signIn(page, "po@rollgate.dev");
    const res = await page.request.get("/api/v1/rollouts?flagKey=messaging-v2");
    const rollouts = ((await res.json()) as { rollouts: { id: string; environment: string; currentPhase: number }[] }).rollouts;
    const rollout = rollouts.find((r) => r.environment === "production")!;
    await page.goto(`/rollouts/${rollout.id}/phases/${rollout.currentPhase + 1}/approve`);
    for (const [item, shows] of SECTIONS) {
      const section = page.locator(`[data-review-item="${item}"]`);
      const tick = page.getByRole("checkbox", { name: `I have reviewed the ${item}` });
      await expect(tick).toBeHidden();
      await section.locator("summary").click();
      await expect(section).toContainText(shows);
      await tick.check();
      await expect(section.locator("summary")).toContainText("✓ reviewed");
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(width);
    expect(await axeViolations(page)).toEqual([]);
  });
}
