import type { Metadata } from "next";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { ChangePasswordForm } from "@/components/auth/change-password-form";
import { requirePageUser } from "../../_request/session";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const user = await requirePageUser();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{user.name}</h1>
        <p className="text-sm text-slate-500">
          {user.email} · {user.roles.map((r) => ROLE_LABELS[r]).join(", ")}
        </p>
      </div>
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
        <h2 className="mb-4 font-semibold">Change password</h2>
        <ChangePasswordForm />
      </section>
    </div>
  );
}
