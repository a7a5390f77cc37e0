import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest, longest first (measured on the 2-core CI machine). Vitest orders by
 * the durations of a previous run, which a fresh clone does not have, and otherwise by file size:
 * the three fuzz shards are three-line files and would start last, leaving one worker busy for a
 * minute after the others ran out of work. Order only: every file still runs.
 */
const SLOWEST = [
  "tests/fuzz/hostile-requests-",
  "tests/integration/flag-writer-storm.test.ts",
  "tests/integration/embedded-restart.test.ts",
  "tests/integration/sdk-package.test.ts",
  "tests/integration/metrics-api.test.ts",
  "tests/integration/webhooks.test.ts",
];

const rank = (spec: TestSpecification) => {
  const i = SLOWEST.findIndex((prefix) => spec.moduleId.includes(prefix));
  return i < 0 ? SLOWEST.length : i;
};

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Stable: within a rank, the base order (failed first, then by duration or size) stands.
    return sorted
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}
