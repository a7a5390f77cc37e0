/** "2026-12-07 23:40 UTC" from an ISO 8601 instant in UTC: the same minute for every reader, whatever their zone. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}
