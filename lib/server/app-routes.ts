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
  /** The page or API route serving `pathname`, as a template (`/flags/{key}`); null when none does. */
  template(pathname: string): string | null;
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

/** `/(dashboard)/flags/[key]/page` → `/flags/{key}`: the route's name in metrics, as the fuzz inventory spells it. */
export function routeTemplate(entry: string): string {
  const segments = entry
    .split("/")
    .filter((s) => s && !/^\(.*\)$/.test(s))
    .slice(0, -1)
    .map((s) => s.replace(/^\[+(?:\.\.\.)?([^\]]+)\]+$/, "{$1}"));
  return `/${segments.join("/")}`;
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
  const apiEntries = Object.keys(appPaths).filter((entry) => entry.startsWith("/api/") && entry.endsWith("/route"));
  const api = apiEntries.map(routePattern);
  // Static segments before dynamic ones, as Next matches them (`/flags/new` before `/flags/{key}`).
  const templates = [...apiEntries, ...Object.keys(appPaths).filter((entry) => entry.endsWith("/page"))]
    .map((entry) => ({ pattern: routePattern(entry), template: routeTemplate(entry) }))
    .sort((a, b) => Number(a.template.includes("{")) - Number(b.template.includes("{")));
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
    template(pathname) {
      const path = normalise(pathname);
      return templates.find((t) => t.pattern.test(path))?.template ?? null;
    },
  };
}
