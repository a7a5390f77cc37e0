import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { listFlagPage, type FlagPage } from "@/lib/flags/list-flag-page";
import { flagListQuerySchema } from "@/lib/flags/flag-list-query";
import { listEnvironmentKeys } from "@/lib/flags/environments";
import { listRollouts } from "@/lib/rollouts/list-rollouts";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { fieldErrors } from "@/lib/api/http";
import { AppError } from "@/lib/errors";
import { LiveRefresh } from "@/components/live/live-refresh";
import { CreateFlagForm } from "@/components/flags/create-flag-form";
import { FlagFilters } from "@/components/flags/flag-filters";
import { flagListParams, flagsHref } from "@/components/flags/flag-list-url";
import { FlagListRow } from "@/components/flags/flag-list-row";
import { toFlagRowView } from "@/components/flags/flag-row-view";
import { BULK_ARCHIVE_FORM, BulkArchiveForm } from "@/components/flags/bulk-archive-form";
import { DataTable } from "@/components/ui/data-table";
import { controlOutline } from "@/components/ui/field";
import { PhoneFoldedSection, PhoneFoldLink } from "@/components/ui/phone-fold";
import { requirePageUser } from "../../_request/session";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "Flags" };

/** Fewer rows than the API's default: each row is markup and its copy in the RSC payload. */
const PAGE_SIZE = "50";

export default async function FlagsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePageUser();
  const db = getDb();
  const params = flagListParams(await searchParams);
  // Versions first: a change landing between the two reads then shows up as "newer", never as missed.
  const versions = Object.fromEntries(await loadConfigVersions(db));
  const parsed = flagListQuerySchema.safeParse({ limit: PAGE_SIZE, ...params });
  let problems: Record<string, string> | null = parsed.success ? null : fieldErrors(parsed.error);
  let page: FlagPage = { flags: [], next: null, prev: null };
  if (parsed.success) {
    try {
      page = await listFlagPage(db, parsed.data);
    } catch (error) {
      if (!(error instanceof AppError) || !error.details.fields) throw error;
      problems = error.details.fields;
    }
  }
  // The live rollouts of the flags on this page, however many rollouts are live elsewhere.
  const [environments, rollouts] = await Promise.all([
    listEnvironmentKeys(db),
    listRollouts(db, user, { flagKeys: page.flags.map((f) => f.key) }),
  ]);
  const rolloutOf = (flagKey: string, env: string) => rollouts.find((r) => r.flagKey === flagKey && r.environment === env);
  const now = new Date();
  const archiver = can(user, "flag.archive") && page.flags.length > 0;
  const filtered = Object.keys(params).some((k) => k !== "cursor" && k !== "limit" && k !== "sort");
  const pager = "rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50";
  return (
    <div className="space-y-6">
      <LiveRefresh versions={versions} />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Flags</h1>
          <p className="text-sm text-slate-500">Across {environments.join(" and ")}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          {can(user, "flag.create") ? <PhoneFoldLink target="new-flag">New flag</PhoneFoldLink> : null}
          {can(user, "flag.import") ? (
            <Link
              href="/admin/import"
              className={`rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-800 shadow-sm ${controlOutline} hover:bg-slate-50`}
            >
              Import from Unleash
            </Link>
          ) : null}
        </div>
      </div>
      {can(user, "flag.create") ? (
        <PhoneFoldedSection id="new-flag" title="New flag">
          <CreateFlagForm />
        </PhoneFoldedSection>
      ) : null}
      <FlagFilters params={params} environments={environments} />
      {problems ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-700 ring-1 ring-red-200">
          <p className="font-medium">This view cannot be shown:</p>
          <ul className="list-disc pl-5">
            {Object.entries(problems).map(([field, message]) => (
              <li key={field}>
                {field}: {message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <DataTable
        stack
        columns={[
          ...(archiver
            ? [
                <span key="select" className="sr-only">
                  Select
                </span>,
              ]
            : []),
          "Flag",
          ...environments.map((env) => (
            <span key={env} className="capitalize">
              {env}
            </span>
          )),
        ]}
      >
        {page.flags.map((flag) => (
          <FlagListRow
            key={flag.key}
            row={toFlagRowView(flag, environments, rolloutOf, now)}
            select={archiver ? BULK_ARCHIVE_FORM : undefined}
          />
        ))}
        {page.flags.length === 0 ? (
          <tr>
            <td colSpan={environments.length + 2} className="px-4 py-10 text-center text-slate-500">
              {filtered ? "No flags match." : "No flags yet."}
            </td>
          </tr>
        ) : null}
      </DataTable>
      {archiver ? <BulkArchiveForm /> : null}
      {page.prev || page.next ? (
        <nav aria-label="Pages" className="flex justify-between gap-3">
          {page.prev ? (
            <Link href={flagsHref(params, { cursor: page.prev })} className={`${pager} ${controlOutline}`} rel="prev">
              ← Previous
            </Link>
          ) : (
            <span />
          )}
          {page.next ? (
            <Link href={flagsHref(params, { cursor: page.next })} className={`${pager} ${controlOutline}`} rel="next">
              Next →
            </Link>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}
