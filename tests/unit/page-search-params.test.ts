// What a dashboard page reads from the `searchParams` Next.js gives it. The object comes from Next's own
// searchParamsToUrlQuery, which a `__proto__` parameter turns into an object whose prototype is an array
// (the fuzzer's `GET /flags?__proto__=Infinity&…&sort=Infinity` answered 500: `sort` reached a client
// component as Array.prototype.sort).
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { flagListParams, narrowsBeyondSearch } from "../../components/flags/flag-list-url";
import { firstQueryString, queryValue } from "../../lib/validation/text";

const { searchParamsToUrlQuery } = createRequire(import.meta.url)("next/dist/shared/lib/router/utils/querystring") as {
  searchParamsToUrlQuery(params: URLSearchParams): Record<string, unknown>;
};
const asNextGivesIt = (query: string) => searchParamsToUrlQuery(new URLSearchParams(query));

describe("page search parameters", () => {
  it("Next.js really does hand a page a function for ?__proto__=1&sort=name (the case below guards against)", () => {
    const search = asNextGivesIt("__proto__=1&sort=name");
    expect(Array.isArray(Object.getPrototypeOf(search))).toBe(true);
    expect((search.sort as unknown[])[0]).toBe(Array.prototype.sort);
  });

  it("the flag list reads only the strings the URL carried", () => {
    expect(flagListParams(asNextGivesIt("__proto__=Infinity&x=1&owner=-1&sort=Infinity"))).toEqual({ owner: "-1", sort: "Infinity" });
    expect(flagListParams(asNextGivesIt("__proto__=1&sort=name&sort=key"))).toEqual({ sort: "name" });
    // Inherited through the polluted prototype, never given: absent.
    expect(flagListParams(asNextGivesIt("__proto__=1&q=a"))).toEqual({ q: "a" });
    expect(flagListParams(asNextGivesIt("constructor=x&q=a&q=b"))).toEqual({ q: "a" });
  });

  it("a filter value is the first string, trimmed; anything else is absent", () => {
    expect(queryValue(asNextGivesIt("__proto__=1&filter=all").filter)).toBe("all");
    expect(queryValue([" open ", "all"])).toBe("open");
    expect(queryValue(Array.prototype.sort)).toBeUndefined();
    expect(firstQueryString([Object.prototype, 7])).toBeUndefined();
    expect(firstQueryString("x")).toBe("x");
  });

  it("the flag list folds its filters on a phone only while none but the search text shapes the view", () => {
    const narrows = (query: string) => narrowsBeyondSearch(flagListParams(asNextGivesIt(query)));
    expect(narrows("")).toBe(false);
    expect(narrows("q=checkout&limit=5&cursor=abc")).toBe(false);
    expect(narrows("sort=key&environment=")).toBe(false);
    for (const query of ["environment=production", "state=killed", "owner=team-a", "tag=billing", "stale=1", "sort=updated"]) {
      expect(narrows(query), query).toBe(true);
    }
  });
});
