import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtNextConfig, preloadPagesOnStart } from "../../lib/server/built-next-config";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function buildWith(config: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), "built-config-"));
  dirs.push(dir);
  mkdirSync(path.join(dir, ".next"));
  writeFileSync(path.join(dir, ".next", "required-server-files.json"), JSON.stringify({ version: 1, config }));
  return dir;
}

describe("the configuration a production start serves", () => {
  // Built on a machine without the variable: the build recorded `true`.
  const recorded = {
    poweredByHeader: false,
    distDir: ".next",
    experimental: { preloadEntriesOnStart: true, isExperimentalCompile: false },
  };

  it("takes ROLLGATE_PRELOAD_PAGES from the start, not from the build, and keeps everything else the build recorded", () => {
    const dir = buildWith(recorded);
    expect(builtNextConfig(dir, { ROLLGATE_PRELOAD_PAGES: "0" })).toEqual({
      ...recorded,
      experimental: { preloadEntriesOnStart: false, isExperimentalCompile: false },
    });
    expect(builtNextConfig(dir, {})).toEqual(recorded);
    // And the other way round: built with the variable set, started without it.
    const builtWithout = buildWith({ ...recorded, experimental: { preloadEntriesOnStart: false } });
    expect(builtNextConfig(builtWithout, { ROLLGATE_PRELOAD_PAGES: "1" })).toMatchObject({ experimental: { preloadEntriesOnStart: true } });
  });

  it("is null without a build, so Next reads next.config.ts itself", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "no-build-"));
    dirs.push(empty);
    expect(builtNextConfig(empty, {})).toBeNull();
  });

  it("preloads unless told 0", () => {
    expect([undefined, "1", "yes", "0"].map((v) => preloadPagesOnStart(v === undefined ? {} : { ROLLGATE_PRELOAD_PAGES: v }))).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
