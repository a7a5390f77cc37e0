"use client";

import { Link } from "@/components/ui/link";
import { usePathname } from "next/navigation";

// The header's links; like every link in the dashboard, they do not prefetch (components/ui/link.tsx).
export function NavLink({ href, children }: { href: string; children: React.ReactNode }) {
  const active = usePathname().startsWith(href);
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={`rounded-md px-3 py-1.5 ${active ? "bg-slate-100 font-medium text-slate-900" : "text-slate-600 hover:text-slate-900"}`}
    >
      {children}
    </Link>
  );
}
