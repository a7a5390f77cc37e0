import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { listEnvironmentKeys } from "@/lib/flags/environments";
import { UnleashImportForm } from "@/components/import/unleash-import-form";
import { requirePageUser } from "../../../_request/session";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "Import from Unleash" };

/** Admins only, like `POST /api/v1/import/unleash`, which the form calls. */
export default async function UnleashImportPage() {
  const user = await requirePageUser();
  if (!can(user, "flag.import")) redirect("/flags");
  const environments = await listEnvironmentKeys(getDb());
  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm text-slate-500">
          <Link href="/admin" className="hover:underline">
            Admin
          </Link>{" "}
          /
        </p>
        <h1 className="text-2xl font-semibold tracking-tight">Import from Unleash</h1>
        <p className="max-w-3xl text-sm text-slate-500">
          Upload an Unleash export and see, flag by flag and environment by environment, what Rollgate reproduces exactly and what it cannot
          (constraints, segments, custom stickiness, variants, dependencies). Users keep their buckets: a rollout&rsquo;s groupId becomes
          the flag&rsquo;s bucketing group. Nothing changes until you import; the import is one transaction, audited per flag, and importing
          the same file again changes nothing.
        </p>
      </div>
      <UnleashImportForm environments={environments} />
    </div>
  );
}
