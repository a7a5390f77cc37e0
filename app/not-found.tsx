import { Link } from "@/components/ui/link";
import { connection } from "next/server";

/**
 * Rendered per request like every other page, so its scripts carry the request's CSP nonce: a 404
 * prerendered at build time would ship scripts without one, which the policy refuses to run.
 */
export default async function NotFound() {
  await connection();
  return (
    <main className="flex min-h-[60vh] items-center justify-center px-4">
      <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="text-xl font-semibold tracking-tight">Page not found</h1>
        <p className="mt-3 text-sm text-slate-600">There is nothing at this address.</p>
        <Link href="/flags" className="mt-6 inline-block text-sm font-medium text-indigo-700 hover:underline">
          Go to the flags
        </Link>
      </div>
    </main>
  );
}
