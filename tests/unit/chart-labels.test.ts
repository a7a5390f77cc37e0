import { describe, expect, it } from "vitest";
import { timeLabel, tooltipLabel } from "@/components/metrics/chart-data";

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
