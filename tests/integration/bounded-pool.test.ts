// The bounded pool (lib/db/bounded-pool.ts) against a real PostgreSQL: idle connections kept for the
// pool's idle time; the connect bound ends a connection nobody answers, and does not end one that was
// answered in time while this process was too busy to read it.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailableError } from "../../lib/db/availability";
import { createBoundedClient, createBoundedPool, type DatabaseLimits } from "../../lib/db/bounded-pool";
import { blockEventLoop as stall } from "../support/block-event-loop";
import { eventually } from "../support/eventually";
import { setUpTestDatabase } from "../support/fixture";

const t = setUpTestDatabase();
const LIMITS: DatabaseLimits = { connectMs: 300, statementMs: 2000, idleInTransactionMs: 0 };
/**
 * For a database that does answer: a bound the handshake meets on a loaded machine. With 300 ms, a
 * whole `npm test` once saw the stall-free connection itself take longer (PostgreSQL forking a backend
 * and a SCRAM exchange with six other busy processes on two cores) and fail with the bound's error.
 * The stalls stay well past it, so a bound that counted the stall would still fail this test.
 */
const ANSWERED: DatabaseLimits = { ...LIMITS, connectMs: 1000 };

describe("idle connections", () => {
  it("stay open for the pool's idle time, so the next burst of queries finds them, and close after it", async () => {
    const pool = createBoundedPool(t.url, { max: 6, limits: { ...ANSWERED, idleMs: 1500 } });
    try {
      const burst = () => Promise.all(Array.from({ length: 4 }, () => pool.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.05)")));
      const first = new Set((await burst()).map((r) => r.rows[0].pid as number));
      expect(first.size).toBe(4);
      // Well within the idle time: the same four backends answer, none opened anew.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = new Set((await burst()).map((r) => r.rows[0].pid as number));
      expect([...again].filter((pid) => !first.has(pid))).toEqual([]);
      expect(pool.totalCount).toBe(4);
      expect((pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis).toBe(1500);
      await eventually(() => pool.totalCount === 0, 10_000, "the idle connections to close");
    } finally {
      await pool.end();
    }
  });
});

describe("the connect bound", () => {
  it("keeps a connection the database answered in time, however late this process reads the answer", async () => {
    for (const stallMs of [0, 2 * ANSWERED.connectMs, 4 * ANSWERED.connectMs]) {
      const pool = createBoundedPool(t.url, { max: 2, limits: ANSWERED });
      try {
        const answer = pool.query("SELECT 42 AS n");
        // The connection is under way (a SCRAM handshake: several round trips); the process stalls past the bound.
        setTimeout(() => stall(stallMs), 1);
        expect((await answer).rows, `a stall of ${stallMs} ms`).toEqual([{ n: 42 }]);
      } finally {
        await pool.end();
      }
    }
    // A client of its own (LISTEN sessions) too.
    const client = createBoundedClient(t.url, { limits: ANSWERED });
    const connected = client.connect();
    setTimeout(() => stall(2 * ANSWERED.connectMs), 1);
    await connected;
    expect((await client.query("SELECT 7 AS n")).rows).toEqual([{ n: 7 }]);
    await client.end();
  });

  describe("a server that accepts the connection and never answers", () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const silentUrl = async () => {
      if (!silent.listening) await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const url = new URL(t.url);
      url.port = String((silent.address() as AddressInfo).port);
      return url.toString();
    };

    it("ends the wait at the bound, as an outage, for a pool and for a client of its own", async () => {
      const pool = createBoundedPool(await silentUrl(), { max: 1, limits: LIMITS });
      const client = createBoundedClient(await silentUrl(), { limits: LIMITS });
      const started = performance.now();
      const [fromPool, fromClient] = await Promise.all([
        pool.query("SELECT 1").then(
          () => null,
          (e: unknown) => ({ error: e, ms: performance.now() - started }),
        ),
        client.connect().then(
          () => null,
          (e: unknown) => ({ error: e, ms: performance.now() - started }),
        ),
      ]);
      await pool.end();
      for (const outcome of [fromPool, fromClient]) {
        expect(outcome).not.toBeNull();
        expect((outcome!.error as Error).message).toBe("Connection terminated due to connection timeout");
        expect(isDatabaseUnavailableError(outcome!.error)).toBe(true);
        expect(outcome!.ms).toBeGreaterThanOrEqual(LIMITS.connectMs - 5);
        expect(outcome!.ms).toBeLessThan(LIMITS.connectMs + 2000);
      }
    });
  });
});
