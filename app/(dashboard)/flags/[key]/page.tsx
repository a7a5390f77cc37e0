import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { getFlag } from "@/lib/flags/get-flag";
import { AppError } from "@/lib/errors";
import { FlagStateEditor } from "@/components/flag-state-editor";
import { RolloutProgress } from "@/components/rollout-progress";
import { FlagChangeNotice } from "@/components/live/flag-change-notice";
import { FlagSettings } from "@/components/flag-settings";
import { listLiveRollouts } from "@/lib/rollouts/live-rollouts";
import { requirePageUser } from "../../../_server/session";

export async function generateMetadata({ params }: { params: Promise<{ key: string }> }): Promise<Metadata> {
  return { title: (await params).key };
}

export default async function FlagPage({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  const user = await requirePageUser();
  const flag = await getFlag(getDb(), key).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
    throw err;
  });
  const canEdit = user.roles.includes("engineer");
  const rollouts = await listLiveRollouts(getDb(), flag.key);
  const versions = Object.fromEntries(Object.entries(flag.environments).map(([env, state]) => [env, state.version]));
  return (
    <div className="space-y-6">
      <div>
        <Link href="/flags" className="text-sm text-slate-500 hover:text-slate-700">
          ← Flags
        </Link>
        <h1 className="mt-1 font-mono text-2xl font-semibold tracking-tight">{flag.key}</h1>
        <p className="text-sm text-slate-500">{flag.description || "No description"}</p>
      </div>
      <FlagChangeNotice key={JSON.stringify(versions)} flagKey={flag.key} versions={versions} />
      {rollouts.map((r) => (
        <RolloutProgress key={r.id} rollout={r} />
      ))}
      <div className="grid gap-6 lg:grid-cols-2">
        {Object.entries(flag.environments).map(([env, state]) => (
          <FlagStateEditor key={`${env}:${state.version}`} flagKey={flag.key} environment={env} state={state} canEdit={canEdit} />
        ))}
      </div>
      {canEdit ? <FlagSettings flagKey={flag.key} description={flag.description} /> : null}
      <p className="text-sm">
        <Link href={`/audit?target=${encodeURIComponent(flag.key)}`} className="text-indigo-700 hover:underline">
          History of this flag →
        </Link>
      </p>
    </div>
  );
}
