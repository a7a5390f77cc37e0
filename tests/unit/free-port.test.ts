import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { reservedPort } from "../support/free-port";

describe("reservedPort", () => {
  it("picks a free port below the kernel's ephemeral range, never one already taken", async () => {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    const taken = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const port = await reservedPort(taken);
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(Math.max(11_000, low!));
      expect(taken.has(port)).toBe(false);
      taken.add(port);
    }
    // Each can be listened on.
    const port = await reservedPort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
