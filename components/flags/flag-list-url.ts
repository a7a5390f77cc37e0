import { firstQueryString } from "@/lib/validation/text";

/** The /flags query parameters a link or form carries (all strings, as in the URL). */
export type FlagListParams = Partial<
  Record<"q" | "environment" | "state" | "owner" | "tag" | "stale" | "sort" | "limit" | "cursor", string>
>;

const PARAM_NAMES = ["q", "environment", "state", "owner", "tag", "stale", "sort", "limit", "cursor"] as const;

/** The first value of each known parameter; others (and empty ones) are dropped. */
export function flagListParams(search: Record<string, unknown>): FlagListParams {
  const params: FlagListParams = {};
  for (const name of PARAM_NAMES) {
    // Own properties only: a polluted prototype (lib/validation/text.ts, firstQueryString) is not the URL's.
    const value = Object.hasOwn(search, name) ? firstQueryString(search[name]) : undefined;
    if (value) params[name] = value;
  }
  return params;
}

/** `/flags?…` with `params` changed by `change` (undefined removes a parameter). */
export function flagsHref(params: FlagListParams, change: FlagListParams = {}): string {
  const merged = { ...params, ...change };
  const query = new URLSearchParams();
  for (const name of PARAM_NAMES) {
    const value = name in change ? change[name] : merged[name];
    if (value) query.set(name, value);
  }
  const text = query.toString();
  return text ? `/flags?${text}` : "/flags";
}

/** Whether a filter other than the search text (or a sort other than by key) shapes the view. */
export function narrowsBeyondSearch(params: FlagListParams): boolean {
  return Boolean(
    params.environment || params.state || params.owner || params.tag || params.stale || (params.sort && params.sort !== "key"),
  );
}
