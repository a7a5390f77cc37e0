import { describe, expect, it } from "vitest";
import { markerLabelPosition, markerLabels, timeLabel, tooltipLabel } from "@/components/metrics/chart-data";

// The charts' time labels come from formatters made once (chart-data.ts); they must say exactly what
// the Date methods they replace said, in whatever locale and zone the browser has.
const HOUR = 3600 * 1000;
const times = Array.from({ length: 48 }, (_, i) => Date.UTC(2026, 11, 5, 0, 7) + i * HOUR + i * 61_000);

describe("chart time labels", () => {
  it("an hour's window names the hour and minute, as toLocaleTimeString did", () => {
    const label = timeLabel(3600);
    for (const t of times) {
      expect(label(t)).toBe(new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }));
    }
  });

  it("a window over a day names the day and the hour", () => {
    const label = timeLabel(7 * 24 * 3600);
    for (const t of times) {
      const d = new Date(t);
      expect(label(t)).toBe(
        `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${d.toLocaleTimeString(undefined, { hour: "2-digit" })}`,
      );
    }
    expect(label(times[0]!)).not.toBe(timeLabel(3600)(times[0]!));
  });

  it("the tooltip says what toLocaleString says, and nothing for what is not a time", () => {
    for (const t of times) expect(tooltipLabel(t)).toBe(new Date(t).toLocaleString());
    expect(tooltipLabel("12:00")).toBe("");
    expect(tooltipLabel(undefined)).toBe("");
  });
});

describe("marker labels", () => {
  const from = Date.UTC(2026, 11, 6, 11, 0);
  const to = from + HOUR;
  it("write rightwards from their line, except in the last fifth of the window, where they would run off the chart", () => {
    expect(markerLabelPosition(from, from, to)).toBe("insideTopLeft");
    expect(markerLabelPosition(from + 0.8 * HOUR, from, to)).toBe("insideTopLeft");
    expect(markerLabelPosition(from + 0.81 * HOUR, from, to)).toBe("insideTopRight");
    // A kill marked at "now": the right edge.
    expect(markerLabelPosition(to, from, to)).toBe("insideTopRight");
  });

  it("an empty window keeps the default", () => {
    expect(markerLabelPosition(from, from, from)).toBe("insideTopLeft");
  });
});

describe("marker label rows", () => {
  const from = Date.UTC(2026, 11, 6, 11, 0);
  const to = from + HOUR;
  it("puts markers within 4 % of the window of each other on rows below one another, in time order", () => {
    // Given out of order: a kill and the pause it caused a second later, and an advance long before.
    const kill = to - 60_000;
    const pause = kill + 1_000;
    const advance = from + 10 * 60_000;
    expect(markerLabels([pause, advance, kill], from, to)).toEqual([
      { position: "insideTopRight", row: 1 },
      { position: "insideTopLeft", row: 0 },
      { position: "insideTopRight", row: 0 },
    ]);
  });

  it("starts again at the top row after a gap wider than 4 %", () => {
    const xs = [0, 60_000, 120_000, 30 * 60_000].map((d) => from + d);
    expect(markerLabels(xs, from, to).map((l) => l.row)).toEqual([0, 1, 2, 0]);
  });
});
