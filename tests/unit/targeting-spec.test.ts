import { describe, expect, it } from "vitest";
import { importSpecState, rollgateAnswer, specFiles } from "../support/unleash-spec";

// Every case of @unleash/client-specification, imported as the importer would and evaluated by
// Rollgate's own evaluator: each either agrees with Unleash or belongs to a flag the import names as
// a problem (and so imports disabled). None may disagree silently.
const files = specFiles();

interface Tally {
  file: string;
  cases: number;
  agree: number;
  named: string[];
  silent: string[];
}

const tallies: Tally[] = files.map((spec) => {
  const imported = importSpecState(spec.state);
  const tally: Tally = { file: spec.file, cases: 0, agree: 0, named: [], silent: [] };
  for (const [variant, cases] of [
    [false, spec.tests ?? []],
    [true, spec.variantTests ?? []],
  ] as const) {
    for (const c of cases) {
      tally.cases++;
      const got = rollgateAnswer(imported, c, variant);
      if (JSON.stringify(got) === JSON.stringify(c.expectedResult)) tally.agree++;
      else {
        const problems = imported.problems.get(c.toggleName) ?? [];
        const line = `${c.toggleName}: ${c.description} → got ${JSON.stringify(got)}, expected ${JSON.stringify(c.expectedResult)}`;
        (problems.length ? tally.named : tally.silent).push(problems.length ? `${line} [${problems.join("; ")}]` : line);
      }
    }
  }
  return tally;
});

describe("the Unleash client specification, evaluated by Rollgate after import", () => {
  it("covers all 279 cases of the 22 files", () => {
    expect(tallies).toHaveLength(22);
    expect(tallies.reduce((a, t) => a + t.cases, 0)).toBe(279);
  });

  it.each(tallies.map((t) => [t.file, t] as const))("%s: no silent disagreement", (_file, t) => {
    expect(t.silent).toEqual([]);
  });

  it("at least 95 % agree; every disagreement is a flag the import names", () => {
    const agree = tallies.reduce((a, t) => a + t.agree, 0);
    console.log(
      tallies.map((t) => `${t.file}: ${t.agree}/${t.cases}${t.named.length ? `\n  named: ${t.named.join("\n  named: ")}` : ""}`).join("\n"),
      `\ntotal ${agree}/279`,
    );
    expect(agree / 279).toBeGreaterThanOrEqual(0.95);
  });
});
