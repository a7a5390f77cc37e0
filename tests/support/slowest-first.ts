import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The order files start in. Vitest orders by the durations of a previous run, which a fresh clone does
 * not have, and otherwise by file size: the three fuzz shards are three-line files and would start
 * last, leaving one worker busy for a minute after the others ran out of work. Order only: every
 * file still runs.
 *
 * `npm test` runs these beside the browser tests on two cores, which keep both cores busy until they
 * end. So after two fuzz shards (long and busy, three-line files that would otherwise start last) the
 * files that mostly wait (for timers, demo traffic, a hung database) go first, while the
 * browser tests fill their waits; then the long ones that use CPU (longest first, so none is left
 * running alone at the end); then the rest, short and busy, which keep both cores working to the end.
 * Measured with one worker (`npm run bench:test-cpu`): wall seconds against CPU-seconds.
 */
const FIRST = [
  // Long and busy: 11–15 s of wall time and as much CPU alone, minutes beside the browser tests.
  "tests/fuzz/hostile-requests-1",
  "tests/fuzz/hostile-requests-2",
  // Mostly waiting: 27 s wall for 7 CPU-s, 21 for 7, 21 for 8, 11 for 3, 15 for 9.
  "tests/integration/demo-traffic.test.ts",
  "tests/integration/database-hang.test.ts",
  "tests/integration/embedded-supervision.test.ts",
  "tests/integration/guardrail-no-data.test.ts",
  "tests/integration/auto-advance-instances.test.ts",
  "tests/fuzz/hostile-requests-3",
  // Long and busy: 15–19 s wall for 18–26 CPU-s.
  "tests/integration/embedded-restart.test.ts",
  "tests/integration/one-pass-deploy.test.ts",
  "tests/integration/flag-writer-storm.test.ts",
  "tests/integration/sdk-package.test.ts",
  "tests/integration/metrics-api.test.ts",
  "tests/integration/webhooks.test.ts",
];

const rank = (spec: TestSpecification) => {
  const i = FIRST.findIndex((prefix) => spec.moduleId.includes(prefix));
  return i < 0 ? FIRST.length : i;
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
