import Link from "next/link";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { signOutAction } from "../sign-in/actions";
import { requirePageUser } from "../_server/session";
import { NavLink } from "@/components/nav-link";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-6 px-4">
          <Link href="/flags" className="flex items-center gap-2 font-semibold">
            <span className="flex h-7 w-7 items-center justify-center rounded-md bg-indigo-600 text-sm font-bold text-white">R</span>
            Rollgate
          </Link>
          <nav className="flex gap-1 text-sm">
            <NavLink href="/flags">Flags</NavLink>
            <NavLink href="/audit">Audit log</NavLink>
            {user.roles.includes("admin") ? <NavLink href="/admin">Admin</NavLink> : null}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <Link href="/account" className="text-right leading-tight hover:opacity-80">
              <div className="font-medium" data-testid="current-user">
                {user.name}
              </div>
              <div className="text-xs text-slate-500">{user.roles.map((r) => ROLE_LABELS[r]).join(" · ")}</div>
            </Link>
            <form action={signOutAction}>
              <button className="rounded-md px-2 py-1 text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50" type="submit">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </div>
  );
}
