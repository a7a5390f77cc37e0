/**
 * Where sign-in sends someone back to: the dashboard page they were on when their session ended, or
 * the one a link pointed them at. The value comes from the URL (`/sign-in?next=…`), which anyone can
 * write, so only a path on this site is taken: anything that would leave it (`//host`, `/\host`, a
 * scheme, a backslash or control character a browser might read as a host) is ignored, and so are
 * sign-in itself and what is not a page (the API, build files). Null when there is nothing safe to go
 * back to; then sign-in lands where it always does (lib/auth/landing.ts).
 */
export const RETURN_TO_MAX_LENGTH = 2_000;

/**
 * The path and query the browser asked for, set on every request Next answers by the server in front
 * of it (lib/server/app-server.ts), replacing whatever the client sent: a page that finds nobody
 * signed in sends them to sign-in with it. (Next gives pages no other way to know their own URL.)
 */
export const REQUEST_PATH_HEADER = "x-rollgate-path";

const BASE = "http://rollgate.invalid";

export function returnPath(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > RETURN_TO_MAX_LENGTH) return null;
  if (!raw.startsWith("/") || raw.startsWith("//")) return null;
  // Browsers read "\" as "/" in a URL's authority, and strip tabs and newlines before parsing.
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  if (url.pathname === "/" || url.pathname === "/sign-in" || url.pathname.startsWith("/sign-in/")) return null;
  // Pages only: an API answer or a build file is nothing to come back to.
  if (/^\/(api|ofrep|_next)(\/|$)/.test(url.pathname)) return null;
  // What Next adds to a client-side navigation's request is not part of the page's address.
  url.searchParams.delete("_rsc");
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page, remembering `path` when there is somewhere to come back to. */
export function signInPath(path: string | null | undefined): string {
  const back = returnPath(path);
  return back ? `/sign-in?next=${encodeURIComponent(back)}` : "/sign-in";
}
