import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

// The repo's own eslint.config.mjs, not a copy of the rule: loading it (eslint-config-next and its
// plugins) is most of this file's time, about 5 s on a busy 2-core machine; each lintText after that
// takes some 25 ms. So one ESLint instance for every case.
const ROOT = path.resolve(import.meta.dirname, "../..");
let eslint: ESLint;
beforeAll(async () => {
  eslint = new ESLint({ cwd: ROOT });
  await eslint.calculateConfigForFile("lib/domain/probe.ts"); // loads the config now, not in the first test
}, 60_000);

const RULE_IDS = ["no-restricted-imports", "no-restricted-syntax"];
const DOMAIN_MESSAGE = "lib/domain imports only its own files";

/** The domain-boundary messages ESLint reports for `code` as if it were lib/domain/probe.ts. */
async function boundaryProblems(code: string, filePath = "lib/domain/probe.ts") {
  const [result] = await eslint.lintText(code, { filePath });
  expect(result!.fatalErrorCount, JSON.stringify(result!.messages)).toBe(0);
  return result!.messages
    .filter((m) => RULE_IDS.includes(m.ruleId ?? ""))
    .map((m) => ({ ruleId: m.ruleId, severity: m.severity, domainRule: m.message.includes(DOMAIN_MESSAGE) }));
}

describe("lint: lib/domain imports nothing outside itself", () => {
  it.each([
    ["another module of the app", `import { recordAudit } from "../audit/record-audit";\nexport const x = recordAudit;\n`],
    ["a type from outside (types couple too)", `import type { Db } from "../db/client";\nexport type X = Db;\n`],
    ["the @/ alias", `import { loadConfig } from "@/lib/config";\nexport const x = loadConfig;\n`],
    ["an npm package", `import { z } from "zod";\nexport const x = z;\n`],
    ["a Node built-in", `import { createHash } from "node:crypto";\nexport const x = createHash;\n`],
    ["a bare Node built-in", `import fs from "fs";\nexport const x = fs;\n`],
    ["Next.js", `import { headers } from "next/headers";\nexport const x = headers;\n`],
    ['"./" that climbs out', `import { x } from "./../flags/flag-schemas";\nexport const y = x;\n`],
    ["a re-export from outside", `export { FLAG_KEY_PATTERN } from "../flags/flag-schemas";\n`],
  ])("refuses %s", async (_what, code) => {
    expect(await boundaryProblems(code)).toEqual([{ ruleId: "no-restricted-imports", severity: 2, domainRule: true }]);
  });

  it("refuses a dynamic import(), even of its own file (it would escape the static check)", async () => {
    expect(await boundaryProblems(`export const load = () => import("./rollout");\n`)).toEqual([
      { ruleId: "no-restricted-syntax", severity: 2, domainRule: true },
    ]);
  });

  it('accepts "./name" imports of its own files, values and types', async () => {
    const code = `import { murmur3 } from "./murmur3";\nimport type { WindowMetrics } from "./rollout";\nexport const f = (m: WindowMetrics) => murmur3(String(m.requests), 0);\n`;
    const [result] = await eslint.lintText(code, { filePath: "lib/domain/probe.ts" });
    expect(result!.messages).toEqual([]);
  });

  it("applies to lib/domain only: the same import elsewhere in lib/ is allowed", async () => {
    expect(await boundaryProblems(`import { z } from "zod";\nexport const x = z;\n`, "lib/flags/probe.ts")).toEqual([]);
  });

  it("today's lib/domain imports pass it (each file's import lines, linted as that file)", async () => {
    const files = readdirSync(path.join(ROOT, "lib/domain")).filter((f) => f.endsWith(".ts"));
    let imports = 0;
    for (const file of files) {
      const lines = readFileSync(path.join(ROOT, "lib/domain", file), "utf8")
        .split("\n")
        .filter((l) => /^(import|export)\b.*\bfrom\s+["']/.test(l));
      imports += lines.length;
      expect(await boundaryProblems(lines.join("\n") + "\n", `lib/domain/${file}`), file).toEqual([]);
    }
    expect(imports).toBeGreaterThanOrEqual(7); // not vacuous: the folder does import its own files
  });
});

describe("lint: the dashboard's links do not prefetch", () => {
  const nextLink = `import Link from "next/link";\nexport const A = () => <Link href="/flags">Flags</Link>;\n`;
  const problems = async (filePath: string) =>
    (await eslint.lintText(nextLink, { filePath }))[0]!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);

  it("refuses next/link in a component or a page, naming the Link to use", async () => {
    for (const file of ["components/flags/probe.tsx", "app/(dashboard)/probe/page.tsx"]) {
      expect(await problems(file), file).toEqual([expect.stringContaining("Use Link from @/components/ui/link")]);
    }
  });

  it("allows it in components/ui/link.tsx, the one place that wraps it", async () => {
    expect(await problems("components/ui/link.tsx")).toEqual([]);
  });
});
