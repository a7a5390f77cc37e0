import http from "node:http";

export interface RawRequest {
  method: string;
  /** Sent exactly as given: may hold broken percent-encoding. */
  path: string;
  /** Name/value pairs; a name may repeat (duplicate headers are sent as separate lines). */
  headers: [string, string][];
  body?: Buffer;
  /** Long-lived responses (SSE): done once the status line arrives. */
  streaming?: boolean;
}

export type RawOutcome =
  | { kind: "response"; status: number; headers: http.IncomingHttpHeaders; body: string }
  | { kind: "reset"; error: string }
  | { kind: "hang" };

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/**
 * Sends one request byte-for-byte as described, with node:http rather than fetch, because fetch
 * normalises what a hostile client would not: duplicate headers, arbitrary methods, raw paths.
 */
export function sendRaw(baseUrl: string, req: RawRequest, timeoutMs = 15_000): Promise<RawOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    // Raw header arrays are sent as given, so Host (which HTTP/1.1 servers require) is added here.
    const headers = ["host", url.host, ...req.headers.flat()];
    if (req.body && !req.headers.some(([n]) => n.toLowerCase() === "content-length")) {
      headers.push("content-length", String(req.body.length));
    }
    const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent });
    const timer = setTimeout(() => {
      finish({ kind: "hang" });
      r.destroy();
    }, timeoutMs);
    r.on("response", (res) => {
      if (req.streaming) {
        finish({ kind: "response", status: res.statusCode ?? 0, headers: res.headers, body: "" });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        finish({ kind: "response", status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (err) => finish({ kind: "reset", error: String(err) }));
    });
    r.on("error", (err) => finish({ kind: "reset", error: `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}` }));
    r.end(req.body);
  });
}

export function describeRequest(req: RawRequest): string {
  const body = req.body
    ? req.body.length > 300
      ? `${req.body.subarray(0, 300).toString("utf8")}… (${req.body.length} bytes)`
      : req.body.toString("utf8")
    : "";
  return `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}…` : req.path}\n${req.headers
    .map(([n, v]) => `${n}: ${v.length > 200 ? `${v.slice(0, 200)}…` : v}`)
    .join("\n")}\n\n${body}`;
}
