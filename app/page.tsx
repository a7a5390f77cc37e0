import { redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { landingPath } from "@/lib/auth/landing";
import { countApprovalInbox } from "@/lib/rollouts/list-rollouts";
import { currentUser } from "./_request/session";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await currentUser();
  if (!user || user.kind !== "user") redirect("/sign-in");
  redirect(landingPath(user.roles, { approvals: await countApprovalInbox(getDb(), user) }));
}
