// The readiness probe: one statement a second at most, shared by concurrent probes, bounded in time.
import { describe, expect, it } from "vitest";
import { readinessProbe } from "../../lib/server/operations/readiness";

describe("readiness probe", () => {
  it("asks the database once per cache period, shared by concurrent probes", async () => {
    let pings = 0;
    let clock = 0;
    const probe = readinessProbe({ pingDatabase: async () => void pings++, configurationProblem: () => null, now: () => clock });
    expect(probe.databaseUp).toBe(null);
    const answers = await Promise.all([probe.check(), probe.check(), probe.check()]);
    expect(pings).toBe(1);
    expect(answers[0]).toEqual({ ready: true, checks: { database: "ok", configuration: "ok" } });
    clock = 999;
    await probe.check();
    expect(pings).toBe(1);
    clock = 1000;
    await probe.check();
    expect(pings).toBe(2);
    expect(probe.databaseUp).toBe(true);
  });

  it("is not ready when the database fails or does not answer in time, or the configuration is not current", async () => {
    const refused = readinessProbe({
      pingDatabase: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
      configurationProblem: () => null,
    });
    expect(await refused.check()).toEqual({
      ready: false,
      checks: { database: "unreachable: connect ECONNREFUSED 127.0.0.1:5432", configuration: "ok" },
    });
    expect(refused.databaseUp).toBe(false);

    const hung = readinessProbe({ pingDatabase: () => new Promise(() => {}), configurationProblem: () => null, timeoutMs: 20 });
    expect((await hung.check()).checks.database).toBe("the database did not answer within 20 ms");

    const stale = readinessProbe({ pingDatabase: async () => {}, configurationProblem: () => "not loaded" });
    expect(await stale.check()).toEqual({ ready: false, checks: { database: "ok", configuration: "not loaded" } });
  });
});
