// The suite's warm servers (tests/support/server-pool.ts): one process moved from one file's database
// to the next must serve the next file as a fresh server would, with nothing of the first left over.
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { leaseServer, type Lease } from "../support/server-pool";
import { call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";

const FIRST_ENGINEER = "tok-warm-first-engineer";
const FIRST_SDK = "tok-warm-first-sdk";

const databases: TestDatabase[] = [];
const leases: Lease[] = [];
afterAll(async () => {
  for (const lease of leases) await lease.release();
  for (const db of databases) await db.drop();
});

async function lease(tokens: string, env?: Record<string, string>) {
  const t = await createTestDatabase();
  databases.push(t);
  const l = await leaseServer({ databaseUrl: t.url, bootstrapTokens: tokens, env });
  leases.push(l);
  return { t, l };
}

describe("a warm server moved to another database", () => {
  it("serves the second database only: its flags, its tokens, its settings", async () => {
    const first = await lease(`eng:engineer:${FIRST_ENGINEER},sdk:production:${FIRST_SDK}`);
    const url = first.l.app.url;
    expect((await call(url, "POST", "/api/v1/flags", { token: FIRST_ENGINEER, body: { key: "only-in-first" } })).status).toBe(201);
    // The OFREP bulk answer caches its event-stream ticket per token: the second database's token of
    // the same secret must not get the first one's.
    const firstBulk = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${FIRST_SDK}`, "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "u1" } }),
    });
    expect(firstBulk.status).toBe(200);
    const firstTicket = ((await firstBulk.json()) as { eventStreams: { endpoint: { requestUri: string } }[] }).eventStreams[0]!.endpoint
      .requestUri;
    await first.l.release();
    leases.pop();

    const second = await lease(`viewer:viewer:${ROLE_TOKENS.viewer},sdk:production:${FIRST_SDK},sdk:production:${SDK_TOKEN}`, {
      ROLLGATE_SDK_RATE_LIMIT: "3",
    });
    // The same process, on the same port.
    expect(second.l.app.pid).toBe(first.l.app.pid);
    expect(second.l.app.url).toBe(url);

    // The first database's engineer is nobody here; the second's viewer is someone.
    expect((await call(url, "GET", "/api/v1/flags", { token: FIRST_ENGINEER })).status).toBe(401);
    const flags = await call(url, "GET", "/api/v1/flags", { token: ROLE_TOKENS.viewer });
    expect(flags.status).toBe(200);
    expect(JSON.stringify(flags.body)).not.toContain("only-in-first");

    // A fresh ticket for the second database's token, which its event stream accepts.
    const bulk = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${FIRST_SDK}`, "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "u1" } }),
    });
    expect(bulk.status).toBe(200);
    const ticket = ((await bulk.json()) as { eventStreams: { endpoint: { requestUri: string } }[] }).eventStreams[0]!.endpoint.requestUri;
    expect(ticket).not.toBe(firstTicket);
    const controller = new AbortController();
    const events = await fetch(`${url}${ticket}`, { signal: controller.signal });
    expect(events.status).toBe(200);
    controller.abort();

    // The second file's settings were read afresh: a rate limit of 3 evaluations a second per token (a burst of 10).
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const res = await fetch(`${url}/ofrep/v1/evaluate/flags/anything`, {
          method: "POST",
          headers: { authorization: `Bearer ${SDK_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ context: { targetingKey: "u1" } }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses).toContain(429);
    // Its session opened without a complaint, and what it printed while opening is the second file's
    // (the demo traffic's start is a line a file waits for), none of the first's.
    expect(second.l.app.output()).not.toMatch(/failed|error/i);
    expect(second.l.app.output()).toMatch(/^\S*\s*\[rollgate\] database: /);
    expect(second.l.app.output()).toContain("test control: attached");
    expect(second.l.app.output()).not.toContain("test control: detached");

    // The first database has no connection from the server left: it could be dropped now. A backend
    // leaves pg_stat_activity a moment after its client's socket closes (its exit hooks run after), so
    // a busy host may show one for some milliseconds: the count must reach 0 within seconds.
    const left = async () =>
      (
        await first.t.sql(
          "SELECT pid, application_name, state, backend_start, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
      ).rows;
    let connections = await left();
    for (let tries = 0; connections.length > 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      connections = await left();
    }
    expect(connections).toEqual([]);
  });
});
