import { ServerResponse, type IncomingMessage } from "node:http";

/**
 * Request bodies: reading one up to a limit, and what happens to the part nobody reads.
 *
 * A response that ends while its request body is still arriving is the trouble. When the connection
 * is to close after the response (the client sent `Connection: close`, or spoke HTTP/1.0), Node
 * closes the socket as soon as the response is written, with the rest of the upload unread in the
 * kernel's buffer; TCP answers unread data with a reset, and the reset destroys the response the
 * client has received but not yet read (EPIPE or ECONNRESET instead of the 413). On a kept-alive
 * connection whose body a reader (Next's request stream) stopped pulling, the upload stalls instead.
 * So every response the server sends is a `LingeringResponse`, which sends what it is given at once
 * but holds back its end until the rest of the body has been read and thrown away — a lingering
 * close, as nginx and Apache do it — up to MAX_DISCARD_BYTES or MAX_DISCARD_MS, past which the
 * connection is closed after the response is written (a client sending that much gets what it asked for).
 */

export class BodyTooLarge extends Error {}

/**
 * A request whose client went away before sending all of its body. Node reports it as
 * `Error: aborted` with code ECONNRESET, the code a dropped database connection also has, so it is
 * recognised here before anything takes it for a database outage: it is nobody's failure to log.
 */
export function isClientAbort(err: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (e.code === "ECONNRESET" && e.message === "aborted") return true;
    current = e.cause;
  }
  return false;
}

/** How much unwanted body is read and thrown away before the connection is closed instead. */
export const MAX_DISCARD_BYTES = 64 * 1024 * 1024;
/** How long an unwanted upload may take to finish before the connection is closed instead. */
export const MAX_DISCARD_MS = 30_000;

/**
 * Reads the body up to `limitBytes`. Past the limit it rejects with BodyTooLarge at once, so the
 * caller can answer 413 while the rest is discarded (see above).
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => readBodyThen(req, limitBytes, (err, body) => (err ? reject(err) : resolve(body!))));
}

/** `readBody` with a callback: the evaluation hot path creates no promise per request. */
export function readBodyThen(req: IncomingMessage, limitBytes: number, callback: (err: Error | null, body?: Buffer) => void): void {
  let called = false;
  const done = (err: Error | null, body?: Buffer) => {
    if (called) return;
    called = true;
    callback(err, body);
  };
  const declared = Number(req.headers["content-length"] ?? "");
  if (Number.isFinite(declared) && declared > limitBytes) {
    discardRest(req, 0);
    done(new BodyTooLarge(`body exceeds ${limitBytes} bytes`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes) {
      req.off("data", onData);
      req.off("end", onEnd);
      discardRest(req, size);
      done(new BodyTooLarge(`body exceeds ${limitBytes} bytes`));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("error", (err) => done(err));
}

/** True when the request announces a body (a length above 0, or chunked transfer). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * The server's response class (`createServer({ ServerResponse: LingeringResponse })`): the response
 * can be answered at any time while the body is still arriving; what it writes goes out at once, its
 * end waits until the body has been read to its end (and discarded) or a bound was hit (then the
 * connection closes once the response is written).
 *
 * A method of the class rather than a wrapper put on each response: a closure and an own `end`
 * property per request made V8 keep per-request objects alive across young-generation collections
 * (half of what the evaluation path allocated survived them, against 0.1 % without), which cost that
 * path about a third of its throughput in garbage collection.
 */
export class LingeringResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  override end(cb?: () => void): this;
  override end(chunk: unknown, cb?: () => void): this;
  override end(chunk: unknown, encoding: BufferEncoding, cb?: () => void): this;
  override end(...args: unknown[]): this {
    const req = this.req as IncomingMessage | undefined;
    if (!req || req.complete || this.destroyed || this.writableEnded || !hasBody(req)) return endNow(this, args);
    const callback = typeof args.at(-1) === "function" ? (args.pop() as () => void) : undefined;
    const [chunk, encoding] = args as [string | Uint8Array | undefined, BufferEncoding | undefined];
    if (!this.headersSent && !this.hasHeader("content-length") && !this.hasHeader("transfer-encoding")) {
      // What end() would have computed: the client then knows the response is complete before
      // the connection is.
      this.setHeader("content-length", chunk === undefined || chunk === null ? 0 : Buffer.byteLength(chunk, encoding));
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding ?? "utf8");
    else this.flushHeaders();
    discardRest(req, 0, (cut) => {
      if (!cut) endNow(this, callback ? [callback] : []);
      else
        endNow(this, [
          () => {
            req.socket?.destroy();
            callback?.();
          },
        ]);
    });
    return this;
  }
}

const superEnd = ServerResponse.prototype.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
const endNow = <R extends ServerResponse>(res: R, args: unknown[]): R => (superEnd.apply(res, args), res);

interface Discarding {
  bytes: number;
  /** null while discarding; then whether it stopped at a bound (or the client left) rather than at the body's end. */
  cut: boolean | null;
  waiters: ((cut: boolean) => void)[];
}
const discarding = new WeakMap<IncomingMessage, Discarding>();

/**
 * Reads and throws away the rest of the body (`alreadyRead` bytes of it were read elsewhere), once
 * per request however often it is called; `onDone` runs when that is over.
 */
function discardRest(req: IncomingMessage, alreadyRead: number, onDone?: (cut: boolean) => void): void {
  let state = discarding.get(req);
  if (!state) {
    const s: Discarding = { bytes: alreadyRead, cut: null, waiters: [] };
    discarding.set(req, (state = s));
    const settle = (cut: boolean) => {
      if (s.cut !== null) return;
      s.cut = cut;
      clearTimeout(timer);
      req.off("data", onData);
      if (cut) req.pause();
      for (const waiter of s.waiters.splice(0)) waiter(cut);
    };
    const onData = (chunk: Buffer) => {
      s.bytes += chunk.length;
      if (s.bytes > MAX_DISCARD_BYTES) settle(true);
    };
    const timer = setTimeout(() => settle(true), MAX_DISCARD_MS);
    timer.unref();
    req.on("data", onData);
    req.once("end", () => settle(false));
    req.once("close", () => settle(!req.complete));
    req.once("error", () => settle(true));
    // A reader that stopped pulling (the async iterator behind Next's request stream) holds the
    // stream paused through its 'readable' listener; with it gone, 'data' makes the stream flow.
    req.removeAllListeners("readable");
    req.resume();
  }
  if (!onDone) return;
  if (state.cut === null) state.waiters.push(onDone);
  else onDone(state.cut);
}
