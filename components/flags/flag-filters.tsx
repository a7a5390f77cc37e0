import { Link } from "@/components/ui/link";
import { FLAG_STATE_FILTERS } from "@/lib/flags/flag-list-query";
import { Button } from "../ui/button";
import { Select, TextInput, controlOutline } from "../ui/field";
import { narrowsBeyondSearch, type FlagListParams } from "./flag-list-url";

const STATE_LABELS: Record<(typeof FLAG_STATE_FILTERS)[number], string> = {
  on: "On",
  off: "Off",
  killed: "Killed",
  rolling_out: "Rolling out",
  full: "100 %",
};

/**
 * Search, filters and sort as a plain GET form: the browser puts them in the URL, so a filtered view
 * is a link to share, and it works before (or without) JavaScript. A new search starts at page one.
 *
 * On a phone only the search box shows until "More filters" is tapped, so the list starts on the first
 * screen (on-call looking for a flag to kill). Like the New flag form, the link is a plain fragment
 * link and the form unfolds as the document's :target, without script; a view already narrowed by one
 * of them shows them all, so what narrows it is never out of sight.
 */
export function FlagFilters({ params, environments }: { params: FlagListParams; environments: string[] }) {
  const label = "block text-xs font-medium text-slate-600";
  const folded = narrowsBeyondSearch(params) ? "" : "max-sm:hidden max-sm:group-target:block";
  // Labels name their control by id rather than wrapping it: a wrapping label's text would include a
  // select's options ("Sort Key Last changed"), which other fields' labels ("Key") then match.
  const field = (id: string, text: string, control: React.ReactNode, wide = false) => (
    <div className={wide ? "col-span-2" : folded || undefined}>
      <label htmlFor={id} className={label}>
        {text}
      </label>
      {control}
    </div>
  );
  return (
    <form
      id="flag-filters"
      method="get"
      action="/flags"
      role="search"
      aria-label="Flags"
      className="group grid scroll-mt-4 grid-cols-2 gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:grid-cols-4 lg:grid-cols-8 lg:items-start"
    >
      {field(
        "flags-q",
        "Search",
        <TextInput
          id="flags-q"
          type="search"
          name="q"
          defaultValue={params.q}
          placeholder="Key or description"
          className="mt-1"
          compact
          autoComplete="off"
        />,
        true,
      )}
      {field(
        "flags-environment",
        "Environment",
        <Select id="flags-environment" name="environment" defaultValue={params.environment ?? ""} className="mt-1" compact>
          <option value="">Any</option>
          {environments.map((env) => (
            <option key={env} value={env}>
              {env}
            </option>
          ))}
        </Select>,
      )}
      {field(
        "flags-state",
        "State",
        <Select id="flags-state" name="state" defaultValue={params.state ?? ""} className="mt-1" compact>
          <option value="">Any</option>
          {FLAG_STATE_FILTERS.map((s) => (
            <option key={s} value={s}>
              {STATE_LABELS[s]}
            </option>
          ))}
        </Select>,
      )}
      {field(
        "flags-owner",
        "Owner",
        <TextInput id="flags-owner" name="owner" defaultValue={params.owner} className="mt-1" compact autoComplete="off" />,
      )}
      {field(
        "flags-tag",
        "Tag",
        <TextInput id="flags-tag" name="tag" defaultValue={params.tag} className="mt-1" compact autoComplete="off" />,
      )}
      {field(
        "flags-sort",
        "Sort",
        <Select id="flags-sort" name="sort" defaultValue={params.sort ?? "key"} className="mt-1" compact>
          <option value="key">Key</option>
          <option value="updated">Last changed</option>
          <option value="evaluated">Last evaluated</option>
        </Select>,
      )}
      <div className="col-span-2 flex flex-wrap items-center gap-3 sm:col-span-4 lg:col-span-8">
        <label className={`flex items-center gap-2 text-sm text-slate-700 ${folded && "max-sm:hidden max-sm:group-target:flex"}`}>
          <input type="checkbox" name="stale" value="1" defaultChecked={params.stale === "1"} className="h-4 w-4 rounded" />
          Potentially stale only
        </label>
        {folded ? (
          <a
            href="#flag-filters"
            className="text-sm font-semibold text-indigo-700 underline underline-offset-2 group-target:hidden sm:hidden"
          >
            More filters
          </a>
        ) : null}
        {params.limit ? <input type="hidden" name="limit" value={params.limit} /> : null}
        <div className="ml-auto flex gap-3">
          <Button type="submit">Search</Button>
          <Link href="/flags" className={`rounded-md px-3 py-2 text-sm font-semibold text-slate-700 ${controlOutline} hover:bg-slate-50`}>
            Clear
          </Link>
        </div>
      </div>
    </form>
  );
}
