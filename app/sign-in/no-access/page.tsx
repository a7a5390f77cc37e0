import type { Metadata } from "next";
import { Link } from "@/components/ui/link";

export const metadata: Metadata = { title: "Ask an admin for access" };

/** Supabase vouched for the person, but Rollgate has no (active) account for them: roles come from an admin. */
export default async function NoAccessPage({ searchParams }: { searchParams: Promise<{ email?: string | string[] }> }) {
  const { email } = await searchParams;
  const shown = typeof email === "string" ? email.slice(0, 254) : null;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="text-xl font-semibold tracking-tight">Ask an admin for access</h1>
        <p className="mt-3 text-sm text-slate-600">
          You signed in with Supabase
          {shown ? (
            <>
              {" "}
              as{" "}
              <span className="font-mono" data-testid="no-access-email">
                {shown}
              </span>
            </>
          ) : null}
          , but this Rollgate has no account for that email address. Rollgate never creates accounts or grants roles on its own: ask a
          Rollgate admin to add you (Admin page, with the roles you need), then sign in again.
        </p>
        <Link href="/sign-in" className="mt-6 inline-block text-sm font-medium text-indigo-600 hover:text-indigo-800">
          Back to sign-in
        </Link>
      </div>
    </main>
  );
}
