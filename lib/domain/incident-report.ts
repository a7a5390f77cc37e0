/**
 * An incident report as Markdown, in the shape of the seeds' post-incident template: summary,
 * impact, timeline, root cause, actions taken, follow-ups. Pure: the caller supplies everything.
 */
export interface ReportInput {
  title: string;
  flagKey: string;
  environment: string;
  status: string;
  reason: string;
  openedBy: string;
  openedAt: string;
  resolvedAt: string | null;
  severity?: string;
  assignee?: { name: string } | null;
  report: { summary?: string; impact?: string; rootCause?: string; actionsTaken?: string; followUps?: string };
  timeline: { at: string; actor: string; message: string }[];
}

const utc = (iso: string) => `${iso.replace("T", " ").slice(0, 19)} UTC`;
const section = (title: string, body: string | undefined) => `## ${title}\n\n${body?.trim() ? body.trim() : "_Not written yet._"}\n`;
// User text on one line (a header line, a table row): every Markdown line ending (LF, CRLF, lone CR)
// becomes a space, so it cannot end the line and start a heading or a section of its own.
const oneLine = (s: string) => s.replace(/\r\n?|\n/g, " ");
// Markdown table cells: no pipes or line breaks from user text.
const cell = (s: string) => oneLine(s).replace(/\|/g, "\\|");

export function incidentReportMarkdown(i: ReportInput): string {
  const duration = i.resolvedAt ? `${Math.round((Date.parse(i.resolvedAt) - Date.parse(i.openedAt)) / 60_000)} min` : "ongoing";
  return [
    `# Incident report: ${oneLine(i.title)}`,
    "",
    `- **Flag:** \`${i.flagKey}\` in ${i.environment}`,
    `- **Status:** ${i.status}${i.severity ? ` (${i.severity})` : ""}`,
    ...(i.assignee !== undefined ? [`- **Assignee:** ${i.assignee ? oneLine(i.assignee.name) : "nobody"}`] : []),
    `- **Opened:** ${utc(i.openedAt)} by ${oneLine(i.openedBy)} — ${oneLine(i.reason)}`,
    `- **Resolved:** ${i.resolvedAt ? utc(i.resolvedAt) : "not yet"} (duration ${duration})`,
    "",
    section("Summary", i.report.summary),
    section("Impact", i.report.impact),
    "## Timeline\n",
    "| time | who | what |",
    "|---|---|---|",
    ...i.timeline.map((t) => `| ${utc(t.at)} | ${cell(t.actor)} | ${cell(t.message)} |`),
    "",
    section("Root cause", i.report.rootCause),
    section("Actions taken", i.report.actionsTaken),
    section("Follow-ups", i.report.followUps),
  ].join("\n");
}
