// Which servers the browser tests run against: one per Playwright worker, each with its own port, its
// own Supabase Auth stand-in and its own embedded PostgreSQL (tests/e2e/serve.ts).
export interface E2EServer {
  port: number;
  url: string;
  /** The Supabase Auth stand-in this server signs in against. */
  supabasePort: number;
}

/**
 * E2E_PORTS / E2E_SUPABASE_PORTS (comma-separated, as npm test picks them), or from E2E_PORT alone:
 * server i on E2E_PORT + 2i and its stand-in on the port after it.
 */
export function e2eServers(): E2EServer[] {
  const count = Math.max(1, Number(process.env.E2E_WORKERS ?? 2));
  const list = (name: string) => (process.env[name] ?? "").split(",").filter(Boolean).map(Number);
  const base = Number(process.env.E2E_PORT ?? 3100);
  const ports = list("E2E_PORTS");
  const supabasePorts = list("E2E_SUPABASE_PORTS");
  return Array.from({ length: count }, (_, i) => {
    const port = ports[i] ?? base + 2 * i;
    return { port, url: `http://localhost:${port}`, supabasePort: supabasePorts[i] ?? port + 1 };
  });
}
