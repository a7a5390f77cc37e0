import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The routes and server actions of the production build, read from Next's manifests, so requests
 * Next would mishandle (an unknown API path, an action posted to a page that does not render it) can
 * be answered before they reach it.
 */
export interface AppRoutes {
  /** True when `pathname` is served by an `app/api/**\/route.ts` handler. */
  isApiRoute(pathname: string): boolean;
  /** Whether `actionId` exists, and whether the page at `pathname` renders it. */
  action(actionId: string, pathname: string): "unknown" | "elsewhere" | "here";
}

/** `/(dashboard)/flags/[key]/page` → a regex for `/flags/<anything but a slash>`. */
export function routePattern(entry: string): RegExp {
  const segments = entry
    .split("/")
    .filter((s) => s && !/^\(.*\)$/.test(s))
    .slice(0, -1); // drop the trailing "page" / "route"
  const body = segments
    .map((s) => {
      if (/^\[\[\.\.\..+\]\]$/.test(s)) return "(?:/.*)?";
      if (/^\[\.\.\..+\]$/.test(s)) return "/.+";
      if (/^\[.+\]$/.test(s)) return "/[^/]+";
      return `/${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
    })
    .join("");
  return new RegExp(`^${body || "/"}$`);
}

function normalise(pathname: string): string {
  return pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
}

export function loadAppRoutes(dir: string): AppRoutes {
  const server = path.join(dir, ".next", "server");
  const appPaths = JSON.parse(readFileSync(path.join(server, "app-paths-manifest.json"), "utf8")) as Record<string, string>;
  const references = JSON.parse(readFileSync(path.join(server, "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { workers?: Record<string, unknown> }>;
  };
  const api = Object.keys(appPaths)
    .filter((entry) => entry.startsWith("/api/") && entry.endsWith("/route"))
    .map(routePattern);
  const pages = new Map<string, RegExp>(
    Object.keys(appPaths)
      .filter((entry) => entry.endsWith("/page"))
      .map((entry) => [`app${entry}`, routePattern(entry)]),
  );
  const actions = new Map(
    Object.entries(references.node).map(([id, ref]) => [id, Object.keys(ref.workers ?? {}).flatMap((w) => pages.get(w) ?? [])]),
  );
  return {
    isApiRoute: (pathname) => api.some((re) => re.test(normalise(pathname))),
    action(actionId, pathname) {
      const renderedOn = actions.get(actionId);
      if (!renderedOn) return "unknown";
      return renderedOn.some((re) => re.test(normalise(pathname))) ? "here" : "elsewhere";
    },
  };
}
