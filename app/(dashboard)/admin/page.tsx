import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { listUsers } from "@/lib/users/list-users";
import { listApiTokens } from "@/lib/tokens/list-api-tokens";
import { listEnvironmentKeys } from "@/lib/flags/environments";
import { Badge } from "@/components/ui/badge";
import { CreateEnvironmentForm, CreateTokenForm, CreateUserForm, EditUserRow } from "@/components/admin-forms";
import { DataTable } from "@/components/ui/data-table";
import { requirePageUser } from "../../_server/session";
import { revokeTokenAction } from "./actions";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const user = await requirePageUser();
  if (!user.roles.includes("admin")) redirect("/flags");
  const db = getDb();
  const [users, tokens, environments] = await Promise.all([listUsers(db, user), listApiTokens(db, user), listEnvironmentKeys(db)]);
  return (
    <div className="space-y-10">
      <section className="space-y-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Users and roles</h1>
          <p className="text-sm text-slate-500">A person can hold several roles. Disabling a user ends their sessions.</p>
        </div>
        <DataTable columns={["User", "Roles"]}>
          {users.map((u) => (
            <tr key={u.id}>
              <td className="px-4 py-3 align-top">
                <div className="font-medium">
                  {u.name} {u.isService ? <Badge tone="gray">service</Badge> : null}{" "}
                  {u.disabled ? <Badge tone="red">disabled</Badge> : null}
                </div>
                <div className="text-slate-500">{u.email}</div>
              </td>
              <td className="px-4 py-3">
                <EditUserRow user={u} />
              </td>
            </tr>
          ))}
        </DataTable>
        <div className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
          <h2 className="mb-3 text-sm font-semibold text-slate-700">Add a user</h2>
          <CreateUserForm />
        </div>
      </section>

      <section className="space-y-4">
        <div>
          <h2 className="text-xl font-semibold tracking-tight">API tokens</h2>
          <p className="text-sm text-slate-500">Stored hashed; the secret is shown once when created.</p>
        </div>
        <div className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
          <CreateTokenForm
            users={users.filter((u) => !u.disabled).map((u) => ({ id: u.id, email: u.email }))}
            environments={environments}
          />
        </div>
        <DataTable columns={["Name", "Kind", "Acts as", "Prefix", "Last used", ""]}>
          {tokens.map((t) => (
            <tr key={t.id} className={t.revoked ? "text-slate-400" : ""}>
              <td className="px-4 py-3 font-medium">{t.name}</td>
              <td className="px-4 py-3">
                <Badge tone={t.kind === "sdk" ? "indigo" : "gray"}>{t.kind}</Badge>
              </td>
              <td className="px-4 py-3">{t.owner}</td>
              <td className="px-4 py-3 font-mono text-xs">{t.prefix}…</td>
              <td className="px-4 py-3">{t.lastUsedAt ? t.lastUsedAt.replace("T", " ").slice(0, 16) : "never"}</td>
              <td className="px-4 py-3 text-right">
                {t.revoked ? (
                  <Badge tone="red">revoked</Badge>
                ) : (
                  <form action={revokeTokenAction}>
                    <input type="hidden" name="tokenId" value={t.id} />
                    <button type="submit" className="text-sm font-medium text-red-600 hover:underline">
                      Revoke
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
          {tokens.length === 0 ? (
            <tr>
              <td colSpan={6} className="px-4 py-8 text-center text-slate-500">
                No tokens yet.
              </td>
            </tr>
          ) : null}
        </DataTable>
      </section>
      <section className="space-y-4">
        <div>
          <h2 className="text-xl font-semibold tracking-tight">Environments</h2>
          <p className="text-sm text-slate-500">
            {environments.join(", ")}. A new environment gets a disabled state for every flag; give services an SDK token for it.
          </p>
        </div>
        <div className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
          <CreateEnvironmentForm />
        </div>
      </section>
    </div>
  );
}
