// The SDK as a service would get it: `npm run build:sdk`, `npm pack`, installed from the tarball into
// a scratch project outside the repository, then used from CommonJS, ES modules and TypeScript
// against a real Rollgate server. Nothing here imports packages/sdk by path: every import goes
// through the installed package's `exports`.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketOf } from "../../lib/domain/bucketing";
import { compileFlag, evaluate } from "../../lib/domain/evaluation";
import { call, patchFlagState } from "../support/http";
import { setUpTestApp } from "../support/fixture";
import { TSC_5, TSC_7 } from "../../scripts/typescript";
import { scratchRoot } from "../support/scratch";

const repo = path.resolve(import.meta.dirname, "../..");
const ENG = "sdk-package-engineer";
const SDK = "sdk-package-production";
const FLAG = "pkg-split";
// 50 % with an allowlist, so the answers depend on bucketing (SPLIT, both ways) and the allowlist.
const RULE = { enabled: true, killed: false, rolloutPercent: 50, allowlist: ["vip"], version: 0 };
const USERS = ["vip", ...Array.from({ length: 20 }, (_, i) => `user-${i}`)];

let work: string;
let scratch: string;
let tarball: string;
let packed: { name: string; version: string; files: { path: string }[] };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws, so a failure's output reaches the assertion. */
function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  // npm passes its own settings to child processes as npm_* variables (when the suite runs under
  // `npm test`); they would point the scratch project's npm at the repository's.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.toLowerCase().startsWith("npm_")) delete env[k];
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The same program for both module systems; only how it loads the package differs. */
function program(kind: "cjs" | "esm"): string {
  const load =
    kind === "cjs"
      ? `const { RollgateClient, RollgateRefusedError, bucketOf } = require("@rollgate/sdk");
const { OutcomeHook, RollgateProvider } = require("@rollgate/sdk/openfeature");
const { OpenFeature } = require("@openfeature/server-sdk");
const resolved = require.resolve("@rollgate/sdk");
const resolvedOpenFeature = require.resolve("@rollgate/sdk/openfeature");`
      : `import { RollgateClient, RollgateRefusedError, bucketOf } from "@rollgate/sdk";
import { OutcomeHook, RollgateProvider } from "@rollgate/sdk/openfeature";
import { OpenFeature } from "@openfeature/server-sdk";
import { fileURLToPath } from "node:url";
const resolved = fileURLToPath(import.meta.resolve("@rollgate/sdk"));
const resolvedOpenFeature = fileURLToPath(import.meta.resolve("@rollgate/sdk/openfeature"));`;
  return `${load}
const [url, sdkKey, flag, users] = [process.argv[2], process.argv[3], process.argv[4], JSON.parse(process.argv[5])];
async function main() {
  const out = { resolved, resolvedOpenFeature, buckets: users.map((u) => bucketOf(flag, u)) };
  const client = await RollgateClient.connect({ url, sdkKey });
  out.environment = client.environment;
  out.evaluations = users.map((u) => client.evaluate(flag, u));
  await client.close();
  try {
    await RollgateClient.connect({ url, sdkKey: "not-a-key", initialTimeoutMs: 30000 });
    out.refused = "connected";
  } catch (err) {
    out.refused = { instance: err instanceof RollgateRefusedError, status: err.status, message: err.message };
  }
  const provider = new RollgateProvider({ url, sdkKey });
  await OpenFeature.setProviderAndWait(provider);
  const of = OpenFeature.getClient();
  out.openFeature = [];
  for (const u of users) out.openFeature.push((await of.getBooleanDetails(flag, false, { targetingKey: u })).value);
  // One RollgateClient class for both entry points, not a copy bundled into the OpenFeature one.
  out.providerClientIsShared = provider.rollgate instanceof RollgateClient;
  // The outcome hook from the installed package: the timer learns the variant and reports once.
  of.addHooks(new OutcomeHook(provider));
  const timer = new OutcomeHook(provider).timer();
  await of.getBooleanValue(flag, false, { targetingKey: users[0] }, timer.options);
  out.timer = { variant: timer.variant, reported: timer.success() };
  await OpenFeature.close();
  console.log(JSON.stringify(out));
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;
}

const CHECK_TS = `import { RollgateClient, RollgateRefusedError, bucketOf, type EvaluationDetails, type RollgateClientOptions, type ReportedEvent } from "@rollgate/sdk";
import { OutcomeHook, RollgateProvider, type OutcomeTimer } from "@rollgate/sdk/openfeature";
import type { Hook, Provider } from "@openfeature/server-sdk";

const bucket: number = bucketOf("flag", "user-1");
const options: RollgateClientOptions = { url: "http://127.0.0.1:1", sdkKey: "key", initialTimeoutMs: 100, events: { batchSize: 10 } };
const provider: Provider = new RollgateProvider(options);
const hook: Hook = new OutcomeHook(new RollgateProvider(options));
const timer: OutcomeTimer = new OutcomeHook(new RollgateProvider(options)).timer();
export const timed: [Hook, boolean, "on" | "off" | null] = [hook, timer.success(), timer.variant];
export async function use(): Promise<[number, boolean, string | null, number]> {
  try {
    const client: RollgateClient = await RollgateClient.connect(options);
    const details: EvaluationDetails = client.evaluate("flag", "user-1");
    const event: ReportedEvent = { flagKey: "flag", variant: details.variant, outcome: "success", latencyMs: 1 };
    client.track(event);
    return [bucket, client.isEnabled("flag", "user-1", false), client.environment, provider === null ? 0 : 1];
  } catch (err) {
    if (err instanceof RollgateRefusedError) return [err.status, false, null, 0];
    throw err;
  }
}
`;

// Misuse the declarations must reject: if they degraded to `any`, all of this would compile.
const BAD_TS = `import { RollgateClient, bucketOf } from "@rollgate/sdk";
export const notAString: string = bucketOf("flag", "user-1");
export const noKey = RollgateClient.connect({ url: "http://127.0.0.1:1" });
export const wrongVariant = (c: RollgateClient) => c.track({ flagKey: "f", variant: "maybe", outcome: "success", latencyMs: 1 });
`;

/** Builds, packs and installs the SDK into a scratch service, as a user would. */
async function packAndInstall(): Promise<void> {
  work = mkdtempSync(path.join(scratchRoot(), "rollgate-sdk-package-"));
  await ok("npm", ["run", "build:sdk"], repo);
  const [info] = JSON.parse(await ok("npm", ["pack", "./packages/sdk", "--json", "--pack-destination", work], repo)) as [
    typeof packed & { filename: string },
  ];
  packed = info;
  tarball = path.join(work, info.filename);

  scratch = path.join(work, "service");
  mkdirSync(scratch);
  writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "scratch-service", version: "1.0.0", private: true }));
  await ok("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], scratch);
  // The optional peer dependency, as a service using the OpenFeature entry would have it installed.
  // Linked from the repository's node_modules because there is no registry to install it from here.
  symlinkSync(path.join(repo, "node_modules/@openfeature"), path.join(scratch, "node_modules/@openfeature"), "dir");
  writeFileSync(path.join(scratch, "check.cjs"), program("cjs"));
  writeFileSync(path.join(scratch, "check.mjs"), program("esm"));
}

// The packaging (child processes: esbuild, tsc, npm) runs while the server starts: started in a hook
// registered before the fixture's, awaited in one registered after it.
let packaging: Promise<unknown>;
beforeAll(() => {
  packaging = packAndInstall().catch((err: unknown) => err);
});
const { app } = setUpTestApp({ bootstrapTokens: `eng:engineer:${ENG},sdk:production:${SDK}` });
beforeAll(async () => {
  const failed = await packaging;
  if (failed) throw failed;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key: FLAG } })).status).toBe(201);
  const patched = await patchFlagState(app.url, ENG, FLAG, "production", {
    enabled: RULE.enabled,
    rolloutPercent: RULE.rolloutPercent,
    allowlist: RULE.allowlist,
  });
  expect(patched.status).toBe(200);
  // Build, pack and install, on a shared machine.
}, 180_000);

afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("@rollgate/sdk installed from its tarball", () => {
  it("ships ESM, CommonJS and declarations for both entry points, and installs without dependencies", () => {
    const manifest = JSON.parse(readFileSync(path.join(repo, "packages/sdk/package.json"), "utf8")) as { version: string };
    expect(packed.name).toBe("@rollgate/sdk");
    expect(packed.version).toBe(manifest.version);
    const files = packed.files.map((f) => f.path);
    for (const format of ["esm", "cjs"]) {
      for (const f of [
        "index.js",
        "openfeature.js",
        "package.json",
        "types/sdk/index.d.ts",
        "types/sdk/openfeature-provider.d.ts",
        "types/sdk/outcome-hook.d.ts",
      ]) {
        expect(files).toContain(`dist/${format}/${f}`);
      }
    }
    // Only what a consumer needs: no sources, no build configuration.
    expect(files.filter((f) => !f.startsWith("dist/")).sort()).toEqual(["README.md", "package.json"]);

    const installed = JSON.parse(readFileSync(path.join(scratch, "node_modules/@rollgate/sdk/package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(installed.version).toBe(manifest.version);
    expect(installed.dependencies).toBeUndefined();
    // npm installed the package and nothing else (the OpenFeature link is added afterwards).
    const lock = JSON.parse(readFileSync(path.join(scratch, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).sort()).toEqual(["", "node_modules/@rollgate/sdk"]);
    expect(readdirSync(path.join(scratch, "node_modules/@rollgate"))).toEqual(["sdk"]);
  });

  for (const [kind, file, dir] of [
    ["CommonJS require", "check.cjs", "cjs"],
    ["ESM import", "check.mjs", "esm"],
  ] as const) {
    it(`works from plain JavaScript (${kind}) against a running Rollgate, with the repository's bucketing`, async () => {
      const r = await run(process.execPath, [file, app.url, SDK, FLAG, JSON.stringify(USERS)], scratch);
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        resolved: string;
        resolvedOpenFeature: string;
        buckets: number[];
        environment: string;
        evaluations: { value: boolean; reason: string; variant: string }[];
        refused: { instance: boolean; status: number; message: string };
        openFeature: boolean[];
        providerClientIsShared: boolean;
        timer: { variant: string; reported: boolean };
      };
      // The module system picked its own build through the package's `exports`.
      const pkgRoot = path.join(scratch, "node_modules/@rollgate/sdk");
      expect(out.resolved).toBe(path.join(pkgRoot, `dist/${dir}/index.js`));
      expect(out.resolvedOpenFeature).toBe(path.join(pkgRoot, `dist/${dir}/openfeature.js`));

      expect(out.buckets).toEqual(USERS.map((u) => bucketOf(FLAG, u)));
      const expected = USERS.map((u) => evaluate(compileFlag(FLAG, RULE), u));
      // The sample exercises every branch, or agreeing would prove little.
      expect(new Set(expected.map((e) => ("reason" in e ? `${e.reason}:${e.value}` : e.error)))).toEqual(
        new Set(["TARGETING_MATCH:true", "SPLIT:true", "SPLIT:false"]),
      );
      expect(out.environment).toBe("production");
      expect(out.evaluations.map(({ value, reason, variant }) => ({ value, reason, variant }))).toEqual(
        expected.map((e) => ("reason" in e ? { value: e.value, reason: e.reason, variant: e.variant } : e)),
      );

      expect(out.refused).toEqual({
        instance: true,
        status: 401,
        message: "Rollgate refused the SDK key (HTTP 401): unknown or revoked SDK token",
      });
      expect(out.openFeature).toEqual(expected.map((e) => "value" in e && e.value));
      expect(out.providerClientIsShared).toBe(true);
      expect(out.timer).toEqual({ variant: "on", reported: true }); // users[0] is on the allowlist
    });
  }

  // TypeScript 7 for today's resolutions and the misuse; TypeScript 5.9 for node10, which 7 removed and
  // older setups still use. Each run checks all of @types/node and the package (skipLibCheck off).
  // `--pretty false`: TypeScript 7 colours its errors when FORCE_COLOR is set (npm test sets it).
  it("type-checks from TypeScript (nodenext ESM and CommonJS, bundler, node10) and rejects misuse", async () => {
    writeFileSync(path.join(scratch, "check.mts"), CHECK_TS);
    writeFileSync(path.join(scratch, "check.cts"), CHECK_TS);
    writeFileSync(path.join(scratch, "bad.mts"), BAD_TS);
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: "ES2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["ES2022"],
      // A Node service's usual setup: Node's types (for fetch), no DOM. The package's own
      // declarations are checked too (skipLibCheck off), so an import they cannot resolve fails.
      types: ["node"],
      typeRoots: [path.join(repo, "node_modules/@types")],
      skipLibCheck: false,
    };
    writeFileSync(path.join(scratch, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["check.mts", "check.cts"] }));
    writeFileSync(path.join(scratch, "tsconfig.bad.json"), JSON.stringify({ compilerOptions, files: ["bad.mts"] }));

    const good = await run(process.execPath, [TSC_7, "-p", "tsconfig.json", "--pretty", "false", "--traceResolution"], scratch);
    const failures = good.stdout.split("\n").filter((l) => /error TS/.test(l));
    expect(failures).toEqual([]);
    expect(good.code).toBe(0);
    // Each file took the declarations of its own module system.
    const pkgRoot = path.join(scratch, "node_modules/@rollgate/sdk");
    expect(good.stdout).toContain(`successfully resolved to '${path.join(pkgRoot, "dist/esm/types/sdk/index.d.ts")}'`);
    expect(good.stdout).toContain(`successfully resolved to '${path.join(pkgRoot, "dist/cjs/types/sdk/index.d.ts")}'`);

    // Bundlers' resolution (the import conditions) and the older `node` one (main, types and
    // typesVersions for the subpath, since it ignores `exports`).
    writeFileSync(path.join(scratch, "check.ts"), CHECK_TS);
    for (const [module, moduleResolution, tsc] of [
      ["esnext", "bundler", TSC_7],
      ["commonjs", "node10", TSC_5],
    ] as const) {
      const config = `tsconfig.${moduleResolution}.json`;
      writeFileSync(
        path.join(scratch, config),
        JSON.stringify({ compilerOptions: { ...compilerOptions, module, moduleResolution }, files: ["check.ts"] }),
      );
      const other = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], scratch);
      expect(other.stdout.split("\n").filter((l) => /error TS/.test(l))).toEqual([]);
      expect(other.code).toBe(0);
    }

    const bad = await run(process.execPath, [TSC_7, "-p", "tsconfig.bad.json", "--pretty", "false"], scratch);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.mts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    expect(bad.stdout).toMatch(/bad\.mts\(3,\d+\): error TS2741: Property 'sdkKey' is missing/);
    expect(bad.stdout).toMatch(/bad\.mts\(4,\d+\): error TS2322: Type '"maybe"' is not assignable/);
  }, 300_000);
});
