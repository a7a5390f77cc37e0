// The `test` every spec imports: Playwright's own, pointed at this worker's server. The browser tests
// run in several workers, each against a server and database of its own (playwright.config.ts starts
// them), so specs never see each other's changes half-way and the run takes as long as its longest
// worker rather than the sum of all specs.
import { test as base } from "@playwright/test";
import { e2eServers, type E2EServer } from "./servers";

export { expect } from "@playwright/test";
export type { APIRequestContext, Browser, Locator, Page } from "@playwright/test";

export const test = base.extend<{ closesItsContexts: void }, { server: E2EServer }>({
  // Contexts a test opens itself (browser.newContext) close when it ends. Left open, their pages kept
  // following live updates for the rest of the worker's run: nine at once by the last spec, each
  // re-rendering on every change the later specs made. After a failure they stay for Playwright's
  // screenshots (the worker is replaced after a failure anyway).
  closesItsContexts: [
    async ({ browser }, provide, testInfo) => {
      const before = new Set(browser.contexts());
      await provide();
      if (testInfo.status !== testInfo.expectedStatus) return;
      await Promise.all(
        browser
          .contexts()
          .filter((c) => !before.has(c))
          .map((c) => c.close()),
      );
    },
    { auto: true },
  ],
  // A worker keeps its index when it is restarted after a failure, so it keeps its server too.
  // (`provide`, not `use`: the React hooks lint rule reads any function named `use` as a hook.)
  server: [async ({}, provide, workerInfo) => provide(e2eServers()[workerInfo.parallelIndex % e2eServers().length]!), { scope: "worker" }],
  baseURL: async ({ server }, provide) => provide(server.url),
});
