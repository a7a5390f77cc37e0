/**
 * How many simulated users the demo has: its traffic picks among them, its seed has seen them all.
 * Fewer than a day's audience sample keeps (4,096), so the demo's reach figures are exact counts.
 */
export const DEMO_AUDIENCE_SIZE = 4000;

/**
 * Demo user `n` as the demo service evaluates them. Two are the QA accounts the demo rollout's
 * Internal phase lists, so that phase reaches users who are seen like everyone else; one in forty is
 * staff (and the QA accounts are), so the "Rollgate staff" segment reaches some of the users seen.
 */
export function demoSubject(n: number): { targetingKey: string; email: string } {
  const user = n < 2 ? `internal-qa-${n + 1}` : `demo-user-${n}`;
  return { targetingKey: user, email: `${user}@${n < 2 || n % 40 === 0 ? "rollgate.dev" : "example.com"}` };
}
