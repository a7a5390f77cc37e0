import { describe, expect, it } from "vitest";
import { isLonePoint } from "@/components/metrics/chart-data";

// What the charts' dots are for: a bucket with traffic between empty ones draws no line segment, so
// without a dot it would not show at all. Everywhere else the line shows the point.
const line = (...ys: (number | null)[]) => ys.map((y) => ({ y }));

describe("isLonePoint", () => {
  it("marks a point whose neighbours are both gaps, and the ends of the series when alone", () => {
    const points = line(10, null, 20, null, null, 30, 31, null, 40);
    expect(points.map((_, i) => isLonePoint(points, i))).toEqual([true, false, true, false, false, false, false, false, true]);
  });

  it("leaves every point of an unbroken line without a dot, and a single point with one", () => {
    const points = line(1, 2, 3, 4);
    expect(points.some((_, i) => isLonePoint(points, i))).toBe(false);
    expect(isLonePoint(line(5), 0)).toBe(true);
  });

  it("never marks a gap itself, nor a point Recharts left without a y", () => {
    const points = [{ y: null }, {}, { y: undefined }];
    expect(points.map((_, i) => isLonePoint(points, i))).toEqual([false, false, false]);
  });
});
