import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { getFlag } from "@/lib/flags/get-flag";
import { AppError } from "@/lib/errors";
import { listSegments } from "@/lib/segments/list-segments";
import { NewRolloutForm } from "@/components/rollouts/new-rollout-form";
import { requirePageUser } from "../../../../_request/session";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "New rollout" };

export default async function NewRolloutPage({ params }: { params: Promise<{ key: string }> }) {
  const user = await requirePageUser();
  const flag = await getFlag(getDb(), (await params).key).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
    throw err;
  });
  const segments = (await listSegments(getDb())).map(({ id, name, constraints }) => ({ id, name, constraints }));
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/flags/${flag.key}`} className="text-sm text-slate-500 hover:text-slate-700">
          ← {flag.key}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">
          New rollout of <span className="font-mono">{flag.key}</span>
        </h1>
        <p className="text-sm text-slate-500">Nothing changes for users until you start it.</p>
      </div>
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
        {can(user, "rollout.create") ? (
          <NewRolloutForm flagKey={flag.key} environments={Object.keys(flag.environments)} segments={segments} />
        ) : (
          <p className="text-sm text-slate-600">Only engineers create rollout plans.</p>
        )}
      </section>
    </div>
  );
}
