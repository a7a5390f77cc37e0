// Issue 25's acceptance: every state of @unleash/client-specification imported through
// POST /api/v1/import/unleash and every case evaluated as an outside client would, by the real
// unleash-client against /api/client/features and over OFREP. Each case either agrees with the
// specification or belongs to a flag the dry run names (never `exact: true`); none is silent.
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { clientState, specFiles, type SpecCase } from "../support/unleash-spec";
import { stableStringify } from "../../lib/domain/stable-json";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

/** The Unleash SDK's own context: what a case's context does not say (its defaults). */
const SDK_APP_NAME = "rollgate-spec";
const SDK_ENVIRONMENT = "default";

type Json = Record<string, unknown>;
interface PlanEnv {
  exact: boolean;
  problems: string[];
}
interface PlanFlag {
  key: string;
  action: string;
  reason?: string;
  problems: string[];
  environments: Record<string, PlanEnv>;
}
interface Tally {
  file: string;
  cases: number;
  unleash: number;
  ofrep: number;
  /** Disagreements on a flag the dry run names (path: case → got, expected [problems]). */
  named: string[];
  /** Disagreements on a flag the dry run calls exact, or does not name at all. */
  silent: string[];
}

const importDoc = (body: Json) => call(app.url, "POST", "/api/v1/import/unleash", { token: ROLE_TOKENS.admin, body });
const configVersion = async () => (await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`)).rows[0].v;

/** The spec context as OFREP's evaluation context (README: "Targeting context"). */
function ofrepContext(c: SpecCase): Json {
  const ctx = c.context as Json & { properties?: Json };
  const out: Json = { environment: ctx.environment ?? SDK_ENVIRONMENT, appName: ctx.appName ?? SDK_APP_NAME };
  if (ctx.userId !== undefined) out.targetingKey = ctx.userId;
  for (const k of ["sessionId", "remoteAddress", "currentTime"]) if (ctx[k] !== undefined) out[k] = ctx[k];
  for (const [k, v] of Object.entries(ctx.properties ?? {})) out[k] = v;
  return out;
}

/** A variant answer in the specification's terms, keeping only the fields the case states. */
function variantShape(v: { name: string; enabled: boolean; feature_enabled?: boolean; payload?: unknown }, expected: Json): string {
  const out: Json = {};
  for (const k of Object.keys(expected)) if ((v as Json)[k] !== undefined) out[k] = (v as Json)[k];
  return stableStringify(out);
}

/** Unleash's payload as OFREP types it: a number, parsed JSON, else the text. */
function typedPayload(p: { type: string; value: string }): unknown {
  if (p.type === "number") return Number(p.value);
  if (p.type === "json") return JSON.parse(p.value) as unknown;
  return p.value;
}

/** What OFREP answered, in the specification's terms: a boolean, or Unleash's variant shape. */
function ofrepAnswer(status: number, body: Json, expected: SpecCase["expectedResult"]): boolean {
  const meta = (body.metadata ?? {}) as { enabled?: boolean };
  const hasVariants = status === 200 && typeof body.value !== "boolean" && typeof meta.enabled === "boolean";
  // An error (flag not found, no targeting key for a percentage) is the caller's default: off.
  const on = status !== 200 ? false : hasVariants ? meta.enabled! : body.value === true;
  if (typeof expected === "boolean") return on === expected;
  const name = hasVariants ? String(body.variant ?? "disabled") : "disabled";
  if (name !== expected.name || (name !== "disabled") !== expected.enabled || on !== expected.feature_enabled) return false;
  // No variant served: a flag with variants has no value when off, and the name "disabled" when on.
  if (name === "disabled") return !hasVariants || (on ? body.value === "disabled" : !("value" in body));
  const want = expected.payload ? typedPayload(expected.payload) : name;
  return stableStringify(body.value) === stableStringify(want);
}

async function unleashClient(): Promise<Unleash> {
  const client = new Unleash({
    url: `${app.url}/api/`,
    appName: SDK_APP_NAME,
    environment: SDK_ENVIRONMENT,
    customHeaders: { Authorization: SDK_TOKEN },
    refreshInterval: 200,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
  });
  client.on("error", () => {}); // what it fetched is asserted through its answers
  await once(client, "synchronized");
  return client;
}

/** Imports one file's state (flags of earlier files it lacks are sent disabled: absent in Unleash, off here). */
async function importSpec(file: string, state: Json, earlier: Set<string>): Promise<Map<string, PlanFlag>> {
  const doc = clientState(state) as { features: Json[] } & Json;
  const names = new Set(doc.features.map((f) => f.name as string));
  const leftovers = [...earlier].filter((k) => !names.has(k)).map((name) => ({ name, enabled: false, strategies: [] }));
  const body = { export: { ...doc, features: [...doc.features, ...leftovers] } };
  const dry = await importDoc(body);
  expect(dry.status, `${file}: ${JSON.stringify(dry.body)}`).toBe(200);
  const before = await configVersion();
  const real = await importDoc({ ...body, dryRun: false });
  expect(real.status, `${file}: ${JSON.stringify(real.body)}`).toBe(200);
  const plan = new Map((real.body.flags as PlanFlag[]).map((f) => [f.key, f]));
  // The dry run planned what the import did, exactness included.
  expect((dry.body.flags as PlanFlag[]).map((f) => [f.key, f.environments.production?.exact])).toEqual(
    [...plan.values()].map((f) => [f.key, f.environments.production?.exact]),
  );
  for (const [key, f] of plan) {
    if (f.action === "skip") continue;
    // Names repeat across files: a flag an earlier file created is updated (or already as wanted).
    expect([key, f.action]).toEqual([key, earlier.has(key) ? (f.action === "unchanged" ? "unchanged" : "update") : "create"]);
    earlier.add(key);
  }
  const after = await configVersion();
  if ((real.body.summary.create as number) + (real.body.summary.update as number) > 0) expect(after).toBeGreaterThan(before);
  await eventually(
    async () => {
      const res = await call(app.url, "POST", "/ofrep/v1/evaluate/flags", { token: SDK_TOKEN, body: { context: { targetingKey: "x" } } });
      return res.status === 200 && res.body.metadata?.configVersion >= after;
    },
    10_000,
    `${file}: the data plane serves config version ${after}`,
  );
  return plan;
}

const named = (flag: PlanFlag | undefined) =>
  !!flag && (flag.action === "skip" || flag.problems.length > 0 || flag.environments.production?.exact === false);
const problemsOf = (flag: PlanFlag | undefined) =>
  flag
    ? [flag.reason, ...flag.problems, ...(flag.environments.production?.problems ?? [])].filter(Boolean).join("; ")
    : "not in the export";

async function runFile(spec: ReturnType<typeof specFiles>[number], earlier: Set<string>): Promise<Tally> {
  const plan = await importSpec(spec.file, spec.state, earlier);
  const unleash = await unleashClient();
  const tally: Tally = { file: spec.file, cases: 0, unleash: 0, ofrep: 0, named: [], silent: [] };
  try {
    for (const [variant, cases] of [
      [false, spec.tests ?? []],
      [true, spec.variantTests ?? []],
    ] as const) {
      for (const c of cases) {
        tally.cases++;
        const ctx = c.context as Parameters<Unleash["isEnabled"]>[1];
        const expected = c.expectedResult;
        const sdk = variant ? unleash.getVariant(c.toggleName, ctx) : unleash.isEnabled(c.toggleName, ctx);
        const sdkAgrees =
          typeof expected === "boolean"
            ? sdk === expected
            : variantShape(sdk as Parameters<typeof variantShape>[0], expected) === stableStringify(expected);
        const res = await call(app.url, "POST", `/ofrep/v1/evaluate/flags/${encodeURIComponent(c.toggleName)}`, {
          token: SDK_TOKEN,
          body: { context: ofrepContext(c) },
        });
        const ofrepAgrees = ofrepAnswer(res.status, res.body as Json, expected);
        if (sdkAgrees) tally.unleash++;
        if (ofrepAgrees) tally.ofrep++;
        for (const [path, agrees, got] of [
          ["unleash-client", sdkAgrees, sdk],
          ["OFREP", ofrepAgrees, res.body],
        ] as const) {
          if (agrees) continue;
          const flag = plan.get(c.toggleName);
          const line = `${path} ${c.toggleName}: ${c.description} → ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`;
          if (named(flag)) tally.named.push(`${line} [${problemsOf(flag)}]`);
          else tally.silent.push(line);
        }
      }
    }
  } finally {
    unleash.destroy();
  }
  return tally;
}

describe("the Unleash client specification, imported and evaluated by outside clients", () => {
  it("≥ 95 % of the 279 cases agree over /api/client/features and over OFREP; every disagreement is named, none silent", async () => {
    const files = specFiles();
    const earlier = new Set<string>();
    const tallies: Tally[] = [];
    for (const spec of files) tallies.push(await runFile(spec, earlier));
    const total = (k: "cases" | "unleash" | "ofrep") => tallies.reduce((a, x) => a + x[k], 0);
    const pad = (s: string | number, n: number) => String(s).padEnd(n);
    console.log(
      [
        `${pad("file", 42)} ${pad("cases", 6)} ${pad("unleash-client", 15)} OFREP`,
        ...tallies.map((x) => `${pad(x.file, 42)} ${pad(x.cases, 6)} ${pad(x.unleash, 15)} ${x.ofrep}`),
        `${pad("total", 42)} ${pad(total("cases"), 6)} ${pad(total("unleash"), 15)} ${total("ofrep")}`,
        ...tallies.flatMap((x) => [...x.named.map((l) => `named  ${x.file}: ${l}`), ...x.silent.map((l) => `SILENT ${x.file}: ${l}`)]),
      ].join("\n"),
    );
    expect(files).toHaveLength(22);
    expect(total("cases")).toBe(279);
    expect(tallies.flatMap((x) => x.silent)).toEqual([]);
    expect(total("unleash") / 279).toBeGreaterThanOrEqual(0.95);
    expect(total("ofrep") / 279).toBeGreaterThanOrEqual(0.95);
  }, 240_000);
});
