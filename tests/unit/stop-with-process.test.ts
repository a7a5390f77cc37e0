import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { describe, expect, it } from "vitest";

const WATCH = path.resolve("tests/support/stop-with-process.ts");

/** A process that watches `pid`, says so, logs its SIGTERM and then exits; it would run for a minute otherwise. */
function watcher(pid: number) {
  const code = `
    import { stopWithProcess } from ${JSON.stringify(WATCH)};
    process.on("SIGTERM", () => { console.log("SIGTERM"); process.exit(0); });
    stopWithProcess(${pid}, 50);
    setTimeout(() => {}, 60_000);
    console.log("watching");
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe("stopWithProcess", () => {
  it("sends its own process SIGTERM once the watched process is gone", async () => {
    const parent = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
    const w = watcher(parent.pid!);
    const exited = once(w.child, "exit");
    await expect.poll(w.output, { timeout: 20_000 }).toContain("watching");
    // Still running while the watched process is.
    await new Promise((r) => setTimeout(r, 300));
    expect(w.child.exitCode).toBeNull();
    parent.kill("SIGKILL");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(w.output()).toContain("SIGTERM");
  }, 30_000);
});
