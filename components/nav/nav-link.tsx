"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

// No prefetch for the dashboard's own links (here, the header's and the flag list's): every page is
// rendered per request with no loading boundary, so a prefetch only re-rendered the layout (the user,
// the inbox and incident counts) that the click fetches again. Each page view cost ~12 such renders.
export function NavLink({ href, children }: { href: string; children: React.ReactNode }) {
  const active = usePathname().startsWith(href);
  return (
    <Link
      href={href}
      prefetch={false}
      aria-current={active ? "page" : undefined}
      className={`rounded-md px-3 py-1.5 ${active ? "bg-slate-100 font-medium text-slate-900" : "text-slate-600 hover:text-slate-900"}`}
    >
      {children}
    </Link>
  );
}
