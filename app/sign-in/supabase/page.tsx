import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SupabaseLinkLanding } from "@/components/auth/supabase-sign-in";
import { supabaseSettings } from "@/lib/auth/supabase-settings";

export const metadata: Metadata = { title: "Signing in" };
export const dynamic = "force-dynamic";

/** Where a Supabase magic link lands: the tokens are in the URL fragment, which only the browser sees. */
export default function SupabaseLinkPage() {
  if (!supabaseSettings()) notFound();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="mb-3 text-lg font-semibold text-slate-900">Signing in to Rollgate</h1>
        <SupabaseLinkLanding />
      </div>
    </main>
  );
}
