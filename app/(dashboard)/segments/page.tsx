import type { Metadata } from "next";
import { getDb } from "@/lib/db/client";
import { can } from "@/lib/auth/permissions";
import { listSegments } from "@/lib/segments/list-segments";
import { segmentReach } from "@/lib/rollouts/phase-reach";
import { SegmentCard } from "@/components/segments/segment-card";
import { SegmentForm } from "@/components/segments/segment-form";
import { PhoneFoldedSection, PhoneFoldLink } from "@/components/ui/phone-fold";
import { requirePageUser } from "../../_request/session";

export const metadata: Metadata = { title: "Segments" };

export default async function SegmentsPage() {
  const user = await requirePageUser();
  const db = getDb();
  const [segments, environments] = await Promise.all([
    listSegments(db),
    db.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { key: "asc" }], select: { key: true } }),
  ]);
  const reaches = await Promise.all(
    segments.map((s) =>
      segmentReach(
        db,
        s,
        environments.map((e) => e.key),
      ),
    ),
  );
  const canEdit = can(user, "segment.manage");
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Segments</h1>
          <p className="text-sm text-slate-500">
            Named audiences (&ldquo;Staff&rdquo;: email ends with @acme.com) that flags and rollout phases target.
          </p>
        </div>
        {canEdit ? <PhoneFoldLink target="new-segment">New segment</PhoneFoldLink> : null}
      </div>
      {canEdit ? (
        <PhoneFoldedSection id="new-segment" title="New segment">
          <SegmentForm />
        </PhoneFoldedSection>
      ) : null}
      <section aria-labelledby="segment-list">
        <h2 id="segment-list" className="mb-3 text-sm font-semibold text-slate-700">
          {segments.length === 1 ? "1 segment" : `${segments.length} segments`}
        </h2>
        {segments.length ? (
          <ul className="space-y-3">
            {segments.map((s, i) => (
              <SegmentCard
                key={`${s.id}-${s.version}`}
                segment={s}
                canEdit={canEdit}
                reach={reaches[i]!.map((r) => ({ environment: r.environment, words: r.words }))}
              />
            ))}
          </ul>
        ) : (
          <p className="rounded-xl bg-white p-4 text-sm text-slate-500 shadow-sm ring-1 ring-slate-200">No segments yet.</p>
        )}
      </section>
    </div>
  );
}
