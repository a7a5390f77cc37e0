import { describe, expect, it } from "vitest";
import { incidentReportMarkdown, type ReportInput } from "../../lib/domain/incident-report";

const base = (over: Partial<ReportInput> = {}): ReportInput => ({
  title: "checkout-redesign killed in production",
  flagKey: "checkout-redesign",
  environment: "production",
  status: "resolved",
  reason: "5xx on checkout",
  openedBy: "oncall@rollgate.dev",
  openedAt: "2026-11-23T10:00:00.000Z",
  resolvedAt: "2026-11-23T10:42:10.500Z",
  report: {
    summary: "A bad build raised 5xx on checkout.",
    impact: "2 % of checkouts failed for 40 minutes.",
    rootCause: "A null pointer in the new address form.",
    actionsTaken: "Killed the flag.",
    followUps: "Add a test.",
  },
  timeline: [
    { at: "2026-11-23T10:00:00.000Z", actor: "oncall@rollgate.dev", message: "killed: 5xx on checkout" },
    { at: "2026-11-23T10:05:30.999Z", actor: "engineer@rollgate.dev", message: "acknowledged" },
  ],
  ...over,
});

/** The cells of a Markdown table row as GFM renderers split it: at pipes not escaped by a backslash. */
function cells(row: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < row.length; i++) {
    if (row[i] === "|" && row[i - 1] !== "\\") {
      out.push(current);
      current = "";
    } else current += row[i];
  }
  out.push(current);
  return out.slice(1, -1).map((c) => c.trim()); // a row starts and ends with a pipe
}

const lines = (md: string) => md.split("\n");
const timelineRows = (md: string) => lines(md).filter((l) => /^\| \d{4}-/.test(l));

describe("incident report Markdown", () => {
  it("follows the post-incident template: header, summary, impact, timeline, root cause, actions, follow-ups", () => {
    expect(incidentReportMarkdown(base())).toBe(
      [
        "# Incident report: checkout-redesign killed in production",
        "",
        "- **Flag:** `checkout-redesign` in production",
        "- **Status:** resolved",
        "- **Opened:** 2026-11-23 10:00:00 UTC by oncall@rollgate.dev — 5xx on checkout",
        "- **Resolved:** 2026-11-23 10:42:10 UTC (duration 42 min)",
        "",
        "## Summary\n\nA bad build raised 5xx on checkout.\n",
        "## Impact\n\n2 % of checkouts failed for 40 minutes.\n",
        "## Timeline\n",
        "| time | who | what |",
        "|---|---|---|",
        "| 2026-11-23 10:00:00 UTC | oncall@rollgate.dev | killed: 5xx on checkout |",
        "| 2026-11-23 10:05:30 UTC | engineer@rollgate.dev | acknowledged |",
        "",
        "## Root cause\n\nA null pointer in the new address form.\n",
        "## Actions taken\n\nKilled the flag.\n",
        "## Follow-ups\n\nAdd a test.\n",
      ].join("\n"),
    );
  });

  it("an open incident is 'not yet' resolved and its duration 'ongoing'", () => {
    const md = incidentReportMarkdown(base({ status: "open", resolvedAt: null }));
    expect(lines(md)).toContain("- **Resolved:** not yet (duration ongoing)");
    expect(lines(md)).toContain("- **Status:** open");
  });

  it.each([
    ["2026-11-23T10:00:29.000Z", "0 min"],
    ["2026-11-23T10:00:30.000Z", "1 min"],
    ["2026-11-23T11:29:31.000Z", "90 min"],
    ["2026-11-25T10:00:00.000Z", "2880 min"],
  ])("the duration to %s is rounded to whole minutes: %s", (resolvedAt, duration) => {
    expect(incidentReportMarkdown(base({ resolvedAt }))).toContain(`(duration ${duration})`);
  });

  it("a section left out, empty or only whitespace says it is not written yet; text is trimmed, its lines kept", () => {
    const md = incidentReportMarkdown(
      base({ report: { summary: "", impact: "  \n\t ", rootCause: "\n  line one\nline two  \n", actionsTaken: undefined } }),
    );
    expect(md).toContain("## Summary\n\n_Not written yet._\n");
    expect(md).toContain("## Impact\n\n_Not written yet._\n");
    expect(md).toContain("## Root cause\n\nline one\nline two\n");
    expect(md).toContain("## Actions taken\n\n_Not written yet._\n");
    expect(md).toContain("## Follow-ups\n\n_Not written yet._\n");
  });

  it("a timeline without events is an empty table, and the sections after it stay in place", () => {
    const md = incidentReportMarkdown(base({ timeline: [] }));
    expect(md).toContain("| time | who | what |\n|---|---|---|\n\n## Root cause\n");
    expect(timelineRows(md)).toEqual([]);
  });

  it("user text cannot break the timeline table: pipes are escaped, every kind of line break is a space", () => {
    const nasty = [
      "5xx | spike",
      "first line\nsecond line",
      "windows\r\nline",
      "old mac\rline", // a lone CR ends a line in Markdown too
      "| leading and trailing |",
    ];
    const md = incidentReportMarkdown(
      base({ timeline: nasty.map((message, i) => ({ at: `2026-11-23T10:0${i}:00Z`, actor: "a|b\nc", message })) }),
    );
    const rows = timelineRows(md);
    expect(rows).toHaveLength(nasty.length);
    expect(rows.map(cells)).toEqual([
      ["2026-11-23 10:00:00 UTC", "a\\|b c", "5xx \\| spike"],
      ["2026-11-23 10:01:00 UTC", "a\\|b c", "first line second line"],
      ["2026-11-23 10:02:00 UTC", "a\\|b c", "windows line"],
      ["2026-11-23 10:03:00 UTC", "a\\|b c", "old mac line"],
      ["2026-11-23 10:04:00 UTC", "a\\|b c", "\\| leading and trailing \\|"],
    ]);
    expect(md).not.toMatch(/\r/);
  });

  it("a multi-line reason or title stays on its header line (it cannot start a section of its own)", () => {
    const md = incidentReportMarkdown(
      base({ title: "kill\nagain", reason: "errors\n\n## Root cause\n\nnothing to see\r\nhere", openedBy: "on\rcall" }),
    );
    expect(lines(md)[0]).toBe("# Incident report: kill again");
    expect(lines(md)).toContain("- **Opened:** 2026-11-23 10:00:00 UTC by on call — errors  ## Root cause  nothing to see here");
    expect(lines(md).filter((l) => l === "## Root cause")).toHaveLength(1);
    expect(md).not.toMatch(/\r/);
  });

  it("times are shown to the second in UTC, milliseconds dropped", () => {
    const md = incidentReportMarkdown(base({ openedAt: "2026-01-02T03:04:05.987Z", resolvedAt: null }));
    expect(md).toContain("- **Opened:** 2026-01-02 03:04:05 UTC by");
  });
});
