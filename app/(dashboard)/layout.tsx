import { Link } from "@/components/ui/link";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { signOutAction } from "../sign-in/actions";
import { requirePageUser } from "../_request/session";
import { NavLink } from "@/components/nav/nav-link";
import { CommandPalette } from "@/components/nav/command-palette";
import { PaletteButton } from "@/components/nav/palette-button";
import { LiveStatusBanner } from "@/components/live/live-status-banner";
import { getDb } from "@/lib/db/client";
import { countApprovalInbox } from "@/lib/rollouts/list-rollouts";
import { countOpenIncidents } from "@/lib/incidents/incident-view";
import { can } from "@/lib/auth/permissions";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  const [waiting, openIncidents] = await Promise.all([countApprovalInbox(getDb(), user), countOpenIncidents(getDb())]);
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        {/*
          One row only where the header has its full width (xl): an admin's seven links, the kill
          switch and the account need all of it. Narrower (phones, tablets, a phone held sideways):
          logo and account on the first row, the navigation on its own row below, scrolling if need be.
        */}
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-1 px-4 py-2 xl:h-14 xl:flex-nowrap xl:py-0">
          <Link href="/flags" className="flex items-center gap-2 font-semibold">
            <span className="flex h-7 w-7 items-center justify-center rounded-md bg-indigo-600 text-sm font-bold text-white">R</span>
            Rollgate
          </Link>
          <nav className="relative order-last -mx-4 flex w-[calc(100%+2rem)] gap-1 overflow-x-auto px-4 text-sm whitespace-nowrap xl:order-none xl:mx-0 xl:w-auto xl:px-0">
            <NavLink href="/overview">Overview</NavLink>
            <NavLink href="/flags">Flags</NavLink>
            <NavLink href="/segments">Segments</NavLink>
            <NavLink href="/approvals">
              Approvals
              {waiting > 0 ? (
                <span
                  className="ml-1.5 rounded-full bg-indigo-600 px-1.5 py-0.5 text-xs font-semibold text-white"
                  data-testid="inbox-count"
                  aria-label={`${waiting} waiting for you`}
                >
                  {waiting}
                </span>
              ) : null}
            </NavLink>
            <NavLink href="/incidents">
              Incidents
              {openIncidents > 0 ? (
                <span
                  className="ml-1.5 rounded-full bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white"
                  data-testid="incident-count"
                  aria-label={`${openIncidents} open`}
                >
                  {openIncidents}
                </span>
              ) : null}
            </NavLink>
            <NavLink href="/audit">Audit log</NavLink>
            {can(user, "admin.open") ? <NavLink href="/admin">Admin</NavLink> : null}
          </nav>
          <div className="ml-auto flex min-w-0 items-center gap-3 text-sm">
            {/* On every page and every width: a phone has no Ctrl/⌘-K. */}
            <PaletteButton canKill={can(user, "flag.kill")} />
            <Link href="/account" className="min-w-0 text-right leading-tight hover:opacity-80">
              <div className="truncate font-medium" data-testid="current-user">
                {user.name}
              </div>
              <div className="truncate text-xs text-slate-500">{user.roles.map((r) => ROLE_LABELS[r]).join(" · ")}</div>
            </Link>
            <form action={signOutAction}>
              <button className="rounded-md px-2 py-1 text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50" type="submit">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <LiveStatusBanner />
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
      <CommandPalette canKill={can(user, "flag.kill")} />
    </div>
  );
}
