import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { listUsers } from "@/lib/users/list-users";
import { listApiTokens } from "@/lib/tokens/list-api-tokens";
import { listEnvironmentKeys } from "@/lib/flags/environments";
import { Badge } from "@/components/ui/badge";
import {
  CreateEnvironmentForm,
  CreateTokenForm,
  CreateUserForm,
  DemoSpikeControl,
  EditUserRow,
  RevokeTokenButton,
} from "@/components/admin/admin-forms";
import { demoTrafficRunning } from "@/lib/demo/demo-spike";
import { CellLabel, DataTable, EmptyRow } from "@/components/ui/data-table";
import { CreateWebhookForm, WebhookActions } from "@/components/admin/webhook-forms";
import { loadConfig } from "@/lib/config";
import { listWebhooks, type WebhookDeliveryDto, type WebhookDto } from "@/lib/notifications/list-webhooks";
import type { ApiTokenDto } from "@/lib/tokens/list-api-tokens";
import type { UserDto } from "@/lib/users/user-dto";
import { requirePageUser } from "../../_request/session";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const user = await requirePageUser();
  if (!can(user, "admin.open")) redirect("/flags");
  const db = getDb();
  const [users, tokens, environments, webhooks] = await Promise.all([
    listUsers(db, user),
    listApiTokens(db, user),
    listEnvironmentKeys(db),
    listWebhooks(db, user),
  ]);
  return (
    <div className="space-y-10">
      {demoTrafficRunning() ? <DemoTrafficSection /> : null}
      <UsersSection users={users} />
      <TokensSection tokens={tokens} users={users} environments={environments} />
      <EnvironmentsSection environments={environments} />
      <ImportSection />
      <WebhooksSection webhooks={webhooks.webhooks} deliveries={webhooks.deliveries} environments={environments} />
    </div>
  );
}

function DemoTrafficSection() {
  return (
    <section className="space-y-3 rounded-xl bg-amber-50 p-4 ring-1 ring-amber-200" aria-labelledby="demo-title">
      <div>
        <h2 id="demo-title" className="text-lg font-semibold">
          Demo traffic
        </h2>
        <p className="text-sm text-slate-600">
          A synthetic service evaluates the demo flags through the SDK and reports every request. Inject errors to see the charts, gates and
          the kill switch at work.
        </p>
      </div>
      <DemoSpikeControl />
    </section>
  );
}

function UsersSection({ users }: { users: UserDto[] }) {
  return (
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
                {u.name} {u.isService ? <Badge tone="gray">service</Badge> : null} {u.disabled ? <Badge tone="red">disabled</Badge> : null}
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
  );
}

function TokensSection({ tokens, users, environments }: { tokens: ApiTokenDto[]; users: UserDto[]; environments: string[] }) {
  return (
    <section className="space-y-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">API tokens</h2>
        <p className="text-sm text-slate-500">Stored hashed; the secret is shown once when created.</p>
      </div>
      <div className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <CreateTokenForm users={users.filter((u) => !u.disabled).map((u) => ({ id: u.id, email: u.email }))} environments={environments} />
      </div>
      {/* Stacked on a phone: revoking a leaked token from one should not need a sideways scroll. */}
      <DataTable
        scroll
        stack
        label="API tokens"
        columns={[
          "Name",
          "Kind",
          "Acts as",
          "Prefix",
          "Last used",
          <span key="actions" className="sr-only">
            Actions
          </span>,
        ]}
      >
        {tokens.map((t) => (
          <tr key={t.id} className={t.revoked ? "text-slate-400" : ""}>
            <td className="px-4 py-3 font-medium">{t.name}</td>
            <td className="px-4 py-3">
              <CellLabel>Kind</CellLabel>
              <Badge tone={t.kind === "sdk" ? "indigo" : "gray"}>{t.kind}</Badge>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Acts as</CellLabel>
              {t.owner}
            </td>
            <td className="px-4 py-3">
              <CellLabel>Prefix</CellLabel>
              <span className="font-mono text-xs">{t.prefix}…</span>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Last used</CellLabel>
              {t.lastUsedAt ? t.lastUsedAt.replace("T", " ").slice(0, 16) : "never"}
            </td>
            <td className="px-4 py-3 text-right max-md:text-left">
              {t.revoked ? <Badge tone="red">revoked</Badge> : <RevokeTokenButton tokenId={t.id} name={t.name} />}
            </td>
          </tr>
        ))}
        {tokens.length === 0 ? <EmptyRow colSpan={6}>No tokens yet.</EmptyRow> : null}
      </DataTable>
    </section>
  );
}

function EnvironmentsSection({ environments }: { environments: string[] }) {
  return (
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
  );
}

function ImportSection() {
  return (
    <section className="space-y-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">Import from Unleash</h2>
        <p className="text-sm text-slate-500">
          Bring flags over from an Unleash export, with a dry run first: what maps exactly, what cannot and why.{" "}
          <Link href="/admin/import" className="font-medium text-indigo-700 hover:underline">
            Import from Unleash
          </Link>
        </p>
      </div>
    </section>
  );
}

function WebhooksSection({
  webhooks,
  deliveries,
  environments,
}: {
  webhooks: WebhookDto[];
  deliveries: WebhookDeliveryDto[];
  environments: string[];
}) {
  return (
    <section className="space-y-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">Webhooks</h2>
        <p className="text-sm text-slate-500">
          Slack-compatible messages, per environment, when an approval is requested or signed and when a rollout advances, pauses, resumes
          or rolls back (to the webhooks its plan names), and when a flag is killed or restored or a guardrail breaches (to every enabled
          one). Failed deliveries are retried with backoff; a slow receiver never holds up a rollout.
        </p>
      </div>
      <div className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <CreateWebhookForm environments={environments} privateNetworks={loadConfig().ROLLGATE_WEBHOOK_PRIVATE_NETWORKS} />
      </div>
      <DataTable
        scroll
        stack
        label="Webhooks"
        columns={[
          "Name",
          "Environment",
          "URL",
          <span key="actions" className="sr-only">
            Actions
          </span>,
        ]}
      >
        {webhooks.map((w) => (
          <tr key={w.id} className={w.enabled ? "" : "text-slate-400"}>
            <td className="px-4 py-3 font-medium">
              {w.name} {w.enabled ? null : <Badge tone="gray">disabled</Badge>}
            </td>
            <td className="px-4 py-3">
              <CellLabel>Environment</CellLabel>
              {w.environment}
            </td>
            <td className="px-4 py-3">
              <CellLabel>URL</CellLabel>
              <span className="font-mono text-xs break-all">{w.url}</span>
            </td>
            <td className="px-4 py-3">
              <WebhookActions webhook={w} />
            </td>
          </tr>
        ))}
        {webhooks.length === 0 ? <EmptyRow colSpan={4}>No webhooks yet.</EmptyRow> : null}
      </DataTable>
      <h3 className="text-sm font-semibold text-slate-700">Recent deliveries</h3>
      {/* Stacked on a phone like the tables above: a failing receiver's error is read there too. */}
      <DataTable scroll stack label="Recent deliveries" columns={["Time", "Event", "Webhook", "Status", "Attempts", "Last answer"]}>
        {deliveries.map((d) => (
          <tr key={d.id}>
            <td className="px-4 py-3 whitespace-nowrap max-md:inline-block! max-md:font-medium">
              {d.createdAt.replace("T", " ").slice(0, 19)}
            </td>
            <td className="px-4 py-3 font-mono text-xs max-md:inline-block!">{d.kind}</td>
            <td className="px-4 py-3">
              <CellLabel>Webhook</CellLabel>
              {d.webhookName} <span className="text-slate-500">· {d.environment}</span>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Status</CellLabel>
              <DeliveryStatus delivery={d} />
            </td>
            <td className="px-4 py-3">
              <CellLabel>Attempts</CellLabel>
              {d.attempts}
            </td>
            <td className="px-4 py-3 text-xs text-slate-600 break-words">
              <CellLabel>Last answer</CellLabel>
              {d.lastError ?? (d.lastStatus !== null ? `HTTP ${d.lastStatus}` : "—")}
              {d.nextAttemptAt ? <div className="text-slate-400">next try {d.nextAttemptAt.replace("T", " ").slice(0, 19)}</div> : null}
            </td>
          </tr>
        ))}
        {deliveries.length === 0 ? <EmptyRow colSpan={6}>Nothing sent yet.</EmptyRow> : null}
      </DataTable>
    </section>
  );
}

function DeliveryStatus({ delivery }: { delivery: WebhookDeliveryDto }) {
  if (delivery.status === "delivered") return <Badge tone="green">delivered</Badge>;
  if (delivery.status === "failed") return <Badge tone="red">failed</Badge>;
  return <Badge tone={delivery.attempts > 0 ? "amber" : "gray"}>{delivery.attempts > 0 ? "retrying" : "pending"}</Badge>;
}
