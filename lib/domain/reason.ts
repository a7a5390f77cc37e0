/**
 * The longest reason a person may give for a change (a kill, a restore, a rollout step, an override):
 * the server's schemas refuse more, and the forms stop typing there, so a reason is never refused
 * after the fact at the moment it matters (mid-incident).
 */
export const REASON_MAX = 500;
