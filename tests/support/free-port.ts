import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A port free now, as the kernel hands them out: for a listener that binds it within moments. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range (ports it picks for `listen(0)` and outgoing connections). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA range most systems use.
  }
  return [49152, 65535];
}

/**
 * A free port for a listener that binds it much later (npm test picks the browser tests' ports before
 * the build). It lies below the kernel's ephemeral range: a port from freePort() is one the kernel
 * may hand to anyone else meanwhile (it did, and a test server's listen failed with EADDRINUSE).
 * `taken` keeps ports picked together apart.
 */
export async function reservedPort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  const top = Math.max(floor + 1000, low);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = floor + Math.floor(Math.random() * (top - floor));
    if (!taken.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port between ${floor} and ${top}`);
}
