import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { currentUser } from "../_request/session";
import { getDb } from "@/lib/db/client";
import { activeDemoAccounts } from "@/lib/demo/seed-demo";
import { supabaseSettings } from "@/lib/auth/supabase-settings";
import { SupabaseSignIn } from "@/components/auth/supabase-sign-in";
import { returnPath } from "@/lib/auth/return-to";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = returnPath((await searchParams).next) ?? undefined;
  if (await currentUser()) redirect(next ?? "/");
  const demo = await activeDemoAccounts(getDb());
  const supabase = supabaseSettings();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <div className="mx-auto flex h-12 w-12 items-center justify-center rounded-xl bg-indigo-600 text-xl font-bold text-white">R</div>
          <h1 className="mt-4 text-2xl font-semibold tracking-tight">Sign in to Rollgate</h1>
          <p className="mt-1 text-sm text-slate-500">Staged rollouts, approvals and the kill switch.</p>
        </div>
        <div className="rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <SignInForm next={next} />
          {supabase ? (
            <div className="mt-6 border-t border-slate-200 pt-6" data-testid="supabase-sign-in">
              <SupabaseSignIn url={supabase.url} anonKey={supabase.anonKey} next={next} />
            </div>
          ) : null}
        </div>
        {demo.length ? (
          <div className="mt-6 rounded-xl bg-indigo-50 p-4 text-sm text-indigo-900 ring-1 ring-indigo-100" data-testid="demo-accounts">
            <p className="font-medium">Demo accounts</p>
            <ul className="mt-1 space-y-0.5">
              {demo.map((u) => (
                <li key={u.email}>
                  <span className="font-mono">{u.email}</span> <span className="text-indigo-700">· {u.roles.join(", ")}</span>
                </li>
              ))}
            </ul>
            <p className="mt-2 text-xs text-indigo-700">The password is printed in the server log at start-up (default in README).</p>
          </div>
        ) : null}
      </div>
    </main>
  );
}
