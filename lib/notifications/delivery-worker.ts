import pg from "pg";
import type { Db } from "../db/client";
import { createBoundedClient, INTERACTIVE_LIMITS } from "../db/bounded-pool";
import { logFailure } from "../db/outage-log";
import { describeSendFailure } from "./describe-send-failure";
import { WEBHOOK_CHANNEL } from "./enqueue-notification";
import { postWebhook } from "./post-webhook";

export interface WebhookDeliveryOptions {
  /** Direct connection for LISTEN (not a transaction pooler). Without it the worker only polls. */
  listenUrl?: string;
  /** Longest wait between looks at the outbox when nothing wakes the worker (default 5 s). */
  pollMs?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
  /** Delay after the first failed attempt; doubles after each further one (default 1 s). */
  backoffMs?: number;
  /** Upper bound of that delay (default 5 min). */
  maxBackoffMs?: number;
  /** Attempts before a delivery is given up as failed (default 8). */
  maxAttempts?: number;
  /** Requests in flight at once per worker (default 8). */
  concurrency?: number;
  /** Send to loopback, private and link-local addresses too (ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow; default false). */
  allowPrivateNetworks?: boolean;
  log?: (message: string) => void;
}

export interface WebhookDelivery {
  /** Look at the outbox now (the LISTEN connection does this on every enqueue). */
  wake(): void;
  /** Stops claiming, waits for requests in flight (at most the timeout), closes the listener. */
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  attempts: number;
  kind: string;
  payload: unknown;
  url: string;
}

const USER_AGENT = "Rollgate-Webhooks/1";
const ROUND_FAILED = { one: "webhook delivery round failed", many: "webhook delivery rounds failed" };
const MAX_ERROR = 300;

/** Delay before attempt `attempts + 1`, after `attempts` failed ones: base, 2×base, 4×base … capped. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends the outbox. Each round claims due rows in one statement (`FOR UPDATE SKIP LOCKED`, then moves
 * `next_attempt_at` past the request timeout as a lease), so any number of workers, in one process or
 * many, never send a row twice. No transaction stays open during a request. 2xx → delivered; anything
 * else (status, timeout, refused connection, redirect) → retried with exponential backoff, given up
 * after `maxAttempts`. A crash mid-request leaves the row to come due again when the lease ends.
 */
export async function startWebhookDelivery(db: Db, options: WebhookDeliveryOptions = {}): Promise<WebhookDelivery> {
  const pollMs = options.pollMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const concurrency = options.concurrency ?? 8;
  const leaseMs = timeoutMs + 30_000;
  const log = options.log ?? (() => {});

  let stopped = false;
  let woken = false;
  let interrupt: (() => void) | null = null;
  const inFlight = new Set<Promise<void>>();
  let listener: pg.Client | null = null;

  function wake() {
    woken = true;
    interrupt?.();
  }

  function sleep(ms: number): Promise<void> {
    if (woken || stopped) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        interrupt = null;
        woken = false;
        resolve();
      }
      interrupt = done;
    });
  }

  async function claim(limit: number): Promise<Claimed[]> {
    return db.$queryRaw<Claimed[]>`
      WITH due AS (
        SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled
         ORDER BY d.next_attempt_at
         LIMIT ${limit}::int
         FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE webhook_deliveries d
         SET attempts = d.attempts + 1, next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
        FROM due, webhooks w
       WHERE d.id = due.id AND w.id = d.webhook_id
      RETURNING d.id::text AS id, d.attempts, d.kind, d.payload, w.url`;
  }

  /** Milliseconds until the next pending row comes due, or null when there is none. */
  async function nextDueIn(): Promise<number | null> {
    const rows = await db.$queryRaw<{ ms: number | null }[]>`
      SELECT (extract(epoch FROM min(d.next_attempt_at) - now()) * 1000)::float8 AS ms
        FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.status = 'pending' AND w.enabled`;
    return rows[0]?.ms ?? null;
  }

  async function send(row: Claimed): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    try {
      const res = await postWebhook(
        row.url,
        JSON.stringify(row.payload),
        { "user-agent": USER_AGENT, "x-rollgate-event": row.kind, "x-rollgate-delivery": row.id },
        { timeoutMs, allowPrivateNetworks: options.allowPrivateNetworks ?? false },
      );
      const ok = res.status >= 200 && res.status < 300;
      return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}` };
    } catch (err) {
      return { ok: false, status: null, error: describeSendFailure(err, timeoutMs) };
    }
  }

  async function deliver(row: Claimed): Promise<void> {
    const result = await send(row);
    const error = result.error ? result.error.slice(0, MAX_ERROR) : null;
    try {
      if (result.ok) {
        await db.$executeRaw`
          UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status = ${result.status}::int, last_error = NULL
           WHERE id = ${row.id}::uuid AND status = 'pending'`;
      } else if (row.attempts >= maxAttempts) {
        await db.$executeRaw`
          UPDATE webhook_deliveries SET status = 'failed', last_status = ${result.status}::int, last_error = ${error}
           WHERE id = ${row.id}::uuid AND status = 'pending'`;
        log(`webhook delivery ${row.id} (${row.kind}) failed after ${row.attempts} attempts: ${error}`);
      } else {
        const delay = backoffDelay(row.attempts, backoffMs, maxBackoffMs);
        await db.$executeRaw`
          UPDATE webhook_deliveries
             SET last_status = ${result.status}::int, last_error = ${error}, next_attempt_at = now() + ${delay}::float8 * interval '1 millisecond'
           WHERE id = ${row.id}::uuid AND status = 'pending'`;
      }
    } catch (err) {
      // The lease brings the row back; a duplicate is better than a lost notification.
      logFailure(log, ROUND_FAILED, err, `recording webhook delivery ${row.id} failed: ${String(err)}`);
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      let delay = pollMs;
      try {
        const free = concurrency - inFlight.size;
        if (free > 0) {
          const rows = await claim(free);
          for (const row of rows) {
            const running: Promise<void> = deliver(row).finally(() => {
              inFlight.delete(running);
              wake();
            });
            inFlight.add(running);
          }
          if (rows.length === free) continue;
          const due = await nextDueIn();
          if (due !== null) delay = Math.min(pollMs, Math.max(10, Math.ceil(due)));
        }
      } catch (err) {
        if (!stopped) logFailure(log, ROUND_FAILED, err, `webhook delivery round failed: ${String(err)}`);
      }
      await sleep(delay);
    }
  }

  async function connectListener(url: string): Promise<void> {
    const client = createBoundedClient(url, { limits: INTERACTIVE_LIMITS });
    client.on("notification", () => wake());
    const lost = () => {
      if (stopped || listener !== client) return;
      listener = null;
      log("webhook listener disconnected; polling until it reconnects");
      const retry = (delayMs: number) =>
        setTimeout(() => {
          if (stopped) return;
          connectListener(url).then(wake, () => retry(Math.min(delayMs * 2, 30_000)));
        }, delayMs).unref();
      retry(500);
    };
    client.on("error", lost);
    client.on("end", lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    listener = client;
  }

  if (options.listenUrl) await connectListener(options.listenUrl);
  const running = loop();

  return {
    wake,
    async stop() {
      stopped = true;
      interrupt?.();
      await running;
      await Promise.allSettled([...inFlight]);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
    },
  };
}
