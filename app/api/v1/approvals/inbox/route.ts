import { json, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { approvalInbox, inboxItemJson } from "@/lib/rollouts/list-rollouts";

/** The product owner's inbox, as the Approvals page lists it; empty for anyone who cannot approve. */
export const GET = route(async ({ db, principal }) => {
  requireUser(principal);
  return json({ items: (await approvalInbox(db, principal)).map(inboxItemJson) });
});
