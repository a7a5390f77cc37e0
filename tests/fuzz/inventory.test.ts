import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Db } from "../../lib/db/client";
import type { ConfigStore } from "../../lib/evaluation/config-store";
import { dataPlaneEntries } from "../../lib/server/data-plane";
import { serverActionIds } from "./support/fuzz-world";
import { PER_TARGET, runsFor, targetKind } from "./support/runs";
import { ALL_TARGETS } from "./support/targets";

/**
 * The fuzz suite must cover every way in: each route in the contract, each route handler and page
 * in app/, each data-plane route, each server action in the build. Adding one without a fuzz target
 * fails here; a target for something that no longer exists fails too.
 */

/** `METHOD /path/{param}` for each route docs/API.md names (query strings dropped). */
function contractRoutes(markdown: string): Set<string> {
  const routes = new Set<string>();
  for (const line of markdown.split("\n")) {
    const m = line.match(/`(GET|POST|PATCH|PUT|DELETE) (\/[^`?\s]+)[^`]*`((?:\s*·\s*`\/[^`]+`)*)/);
    if (!m) continue;
    const [, method, route, alternatives] = m as unknown as [string, string, string, string];
    routes.add(`${method} ${route}`);
    // "`POST /rollouts/{id}/pause` · `/resume` · `/rollback`" names three routes.
    for (const alt of alternatives.matchAll(/`(\/[^`]+)`/g)) routes.add(`${method} ${route.replace(/\/[^/]+$/, alt[1]!)}`);
  }
  return routes;
}

function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => path.basename(f) === name)
    .map((f) => path.join(dir, f));
}

/** `app/(group)/flags/[key]/page.tsx` → `/flags/{key}`. */
function template(file: string): string {
  const segments = path
    .relative("app", path.dirname(file))
    .split(path.sep)
    .filter((s) => s && !/^\(.*\)$/.test(s))
    .map((s) => s.replace(/^\[(.+)\]$/, "{$1}"));
  return `/${segments.join("/")}`;
}

function routeHandlers(): Set<string> {
  const routes = new Set<string>();
  for (const file of filesNamed("app/api", "route.ts")) {
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)) {
      routes.add(`${m[1]} ${template(file)}`);
    }
  }
  return routes;
}

function pages(): Set<string> {
  return new Set(filesNamed("app", "page.tsx").map((f) => `GET ${template(f)}`));
}

const targetIds = new Set(ALL_TARGETS.map((t) => t.id));

describe("fuzz inventory", () => {
  const contract = contractRoutes(readFileSync("docs/API.md", "utf8"));
  const handlers = routeHandlers();
  const built = dataPlaneEntries({} as ConfigStore, {} as Db);
  const dataPlane = new Set(built.entries.flatMap((e) => e.serves));
  afterAll(() => built.stop());
  const dashboard = pages();
  const actions = new Set([...serverActionIds().keys()].map((name) => `action ${name}`));

  it("reads a plausible inventory (so the checks below cannot pass vacuously)", () => {
    expect(contract.size).toBeGreaterThanOrEqual(18);
    expect(contract).toContain("POST /api/v1/rollouts/{id}/resume");
    expect(handlers).toContain("PATCH /api/v1/flags/{key}/environments/{env}");
    expect(dataPlane).toContain("POST /ofrep/v1/evaluate/flags");
    expect(dashboard).toContain("GET /flags/{key}");
    expect(actions).toContain("action signInAction");
  });

  it.each([
    ["every route in docs/API.md", () => contract],
    ["every route handler under app/api", () => handlers],
    ["every data-plane route", () => dataPlane],
    ["every dashboard page", () => dashboard],
    ["every server action in the build", () => actions],
  ])("fuzzes %s", (_what, entries) => {
    const missing = [...entries()].filter((id) => !targetIds.has(id));
    expect(missing, "add a target for each in tests/fuzz/support/targets.ts").toEqual([]);
  });

  it("runs every target: the hostile-request shards are numbered 1 … n of one n, none missing", () => {
    const calls = readdirSync("tests/fuzz")
      .filter((f) => /^hostile-requests-\d+\.test\.ts$/.test(f))
      .map((f) => readFileSync(path.join("tests/fuzz", f), "utf8").match(/hostileRequestsSuite\((\d+), (\d+)\)/))
      .map((m) => (m ? [Number(m[1]), Number(m[2])] : null));
    const shards = calls[0]?.[1] ?? 0;
    expect(shards).toBeGreaterThanOrEqual(1);
    expect(calls.map((c) => c?.join(" of ")).sort()).toEqual(Array.from({ length: shards }, (_, i) => `${i} of ${shards}`));
  });

  it("has no target for something that does not exist", () => {
    const known = new Set([...contract, ...handlers, ...dataPlane, ...dashboard, ...actions]);
    expect([...targetIds].filter((id) => !known.has(id))).toEqual([]);
  });

  it("sends what the README says it sends", () => {
    const readme = readFileSync(path.join(import.meta.dirname, "../../README.md"), "utf8").replace(/\s+/g, " ");
    const said = readme.match(
      /`tests\/fuzz` sends ([\d,]+) generated hostile requests, (\d+) to each of (\d+) routes, (\d+) to each of (\d+) pages and (\d+) to each of (\d+) server actions/,
    );
    expect(said, "the README's sentence on the fuzz suite").not.toBeNull();
    const count = (kind: keyof typeof PER_TARGET) => ALL_TARGETS.filter((t) => targetKind(t) === kind).length;
    const total = ALL_TARGETS.reduce((sum, t) => sum + runsFor(t), 0);
    expect(said!.slice(1).map((n) => Number(n.replaceAll(",", "")))).toEqual([
      total,
      PER_TARGET.http,
      count("http"),
      PER_TARGET.page,
      count("page"),
      PER_TARGET.action,
      count("action"),
    ]);
  });
});
