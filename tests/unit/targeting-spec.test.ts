import { describe, expect, it } from "vitest";
import { importSpecState, rollgateAnswer, specFiles } from "../support/unleash-spec";

// Every case of @unleash/client-specification, imported as the importer would and evaluated by
// Rollgate's own evaluator, agrees with Unleash. A disagreement is reported per file, and one whose
// flag the import does not name as a problem (so it would be imported enabled) also as silent.
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

  it("all 279 agree (README: 279 of 279), so no case needs a flag the import names as a problem", () => {
    // Per file, so a regression names where: "targeting.json: 11/12" and the case names behind it.
    expect(tallies.filter((t) => t.agree !== t.cases).map((t) => `${t.file}: ${t.agree}/${t.cases} ${t.named.join("; ")}`)).toEqual([]);
    expect(tallies.reduce((a, t) => a + t.agree, 0)).toBe(279);
  });
});
