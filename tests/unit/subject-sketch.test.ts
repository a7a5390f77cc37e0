import { describe, expect, it } from "vitest";
import { bucketOf } from "../../lib/domain/bucketing";
import { addSubject, emptySketch, estimateSubjects, mergeSketch, SKETCH_REGISTERS } from "../../lib/domain/subject-sketch";

const sketchOf = (subjects: Iterable<string>) => {
  const s = emptySketch();
  for (const subject of subjects) addSubject(s, subject);
  return s;
};
const users = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `user-${from + i}`);

describe("distinct-subject sketch", () => {
  it("is 0 for nobody and counts a handful exactly", () => {
    expect(estimateSubjects(emptySketch())).toBe(0);
    for (const n of [1, 2, 5, 10]) expect(estimateSubjects(sketchOf(users(0, n)))).toBe(n);
  });

  it("counts each subject once however often it is seen", () => {
    const once = sketchOf(users(0, 300));
    const often = sketchOf([...users(0, 300), ...users(0, 300), ...users(100, 200)]);
    expect(often).toEqual(once);
  });

  it.each([50, 500, 5_000, 50_000, 500_000])("estimates %i subjects within three standard errors (19.5 percent)", (n) => {
    const estimate = estimateSubjects(sketchOf(users(0, n)));
    expect(Math.abs(estimate - n) / n).toBeLessThan(0.195);
  });

  it("merging two sketches is the sketch of the union, so overlaps are not counted twice", () => {
    const a = sketchOf(users(0, 3000));
    const b = sketchOf(users(2000, 5000));
    const merged = emptySketch();
    mergeSketch(merged, a);
    mergeSketch(merged, b);
    expect(merged).toEqual(sketchOf(users(0, 5000)));
    expect(Math.abs(estimateSubjects(merged) - 5000) / 5000).toBeLessThan(0.195);
  });

  it("stays accurate for the users a 10 % split serves `on` (its hash is independent of bucketing)", () => {
    const on = users(0, 100_000).filter((u) => bucketOf("messaging-v2", u) <= 10);
    const estimate = estimateSubjects(sketchOf(on));
    expect(on.length).toBeGreaterThan(9000);
    expect(Math.abs(estimate - on.length) / on.length).toBeLessThan(0.195);
    // The subjects spread over the registers instead of piling into a few.
    expect(sketchOf(on).filter((r) => r === 0).length).toBe(0);
    expect(SKETCH_REGISTERS).toBe(256);
  });
});
