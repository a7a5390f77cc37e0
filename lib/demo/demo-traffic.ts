import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Db } from "../db/client";
import { applyBootstrapTokens } from "../auth/bootstrap-tokens";
import { hashSecret } from "../auth/secrets";
import { RollgateClient, reportedAs } from "../sdk/client";
import { DEMO_AUDIENCE_SIZE, demoSubject } from "./demo-audience";
import { DEMO_ERROR_RATE, DEMO_LATENCY_MS, DEMO_LATENCY_SD_MS, DEMO_REQUESTS_PER_MINUTE } from "./demo-history";
import { currentSpike } from "./demo-spike";
import { DEMO_AB_FLAG } from "./demo-variant-history";

const DEMO_FLAGS = ["messaging-v2", "checkout-redesign", "dark-mode", "search-ranking-ml", DEMO_AB_FLAG.key];

/**
 * The SDK token the demo service uses: created once, its secret kept in the data directory (like any
 * service's configuration), its hash in the database like every token.
 */
async function demoSdkKey(db: Db, dataDir: string, environment: string): Promise<string> {
  const file = path.join(dataDir, `demo-sdk-token-${environment}`);
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    const row = await db.apiToken.findUnique({ where: { tokenHash: hashSecret(token) } });
    if (row && !row.revokedAt) return token;
  }
  const token = `rg_sdk_demo_${randomBytes(24).toString("base64url")}`;
  await applyBootstrapTokens(db, [{ kind: "sdk", environment, token }]);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function gaussian(mean: number, sd: number): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.max(1, mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/**
 * A synthetic service that uses the TypeScript SDK like a real one: evaluates the demo flags for
 * simulated users and reports each request's outcome and latency (the new code path, `on`, a little
 * slower). An admin's spike (Admin page) raises errors on `on` only or on both variants, so charts,
 * gates and the kill switch can be seen working within a minute of `npm start`.
 */
export async function startDemoTraffic(options: {
  db: Db;
  baseUrl: string;
  dataDir: string;
  environment?: string;
  requestsPerSecond?: number;
  log?: (message: string) => void;
}): Promise<{ stop(): Promise<void> }> {
  const environment = options.environment ?? "production";
  const sdkKey = await demoSdkKey(options.db, options.dataDir, environment);
  const client = await RollgateClient.connect({ url: options.baseUrl, sdkKey, events: { flushIntervalMs: 1000, batchSize: 2000 } });
  const perSecond = options.requestsPerSecond ?? DEMO_REQUESTS_PER_MINUTE / 60;
  // Four ticks a second; a fractional share carries over, so any rate is kept on average.
  let owed = 0;
  const timer = setInterval(() => {
    const spike = currentSpike();
    owed += perSecond / 4;
    const now = Math.floor(owed);
    owed -= now;
    for (let i = 0; i < now; i++) {
      const subject = demoSubject(Math.floor(Math.random() * DEMO_AUDIENCE_SIZE));
      for (const flagKey of DEMO_FLAGS) {
        const result = client.evaluate(flagKey, subject);
        if (result.reason === "ERROR") continue;
        const { variant, reason } = reportedAs(result);
        const on = variant === "on";
        const spiking = spike && (spike.mode === "both" || on);
        // The A/B/n flag's variants fail at their own rates ("playful" three times as often as control).
        const variantRate = DEMO_AB_FLAG.variants.find((v) => flagKey === DEMO_AB_FLAG.key && v.name === result.variantName)?.errorRate;
        const errorRate = spiking ? 0.25 : (variantRate ?? DEMO_ERROR_RATE[variant]);
        const failed = Math.random() < errorRate;
        client.track({
          flagKey,
          variant,
          reason,
          outcome: failed ? "error" : "success",
          latencyMs: Math.round(gaussian(DEMO_LATENCY_MS[variant], DEMO_LATENCY_SD_MS) * (spiking ? 3 : 1)),
          ...(failed ? { errorCode: spiking ? "UPSTREAM_503" : "TIMEOUT" } : {}),
          targetingKey: subject.targetingKey,
        });
      }
    }
  }, 250);
  timer.unref();
  options.log?.(`demo traffic: ${perSecond} simulated requests/s on ${DEMO_FLAGS.length} flags in ${environment}`);
  return {
    async stop() {
      clearInterval(timer);
      await client.close();
    },
  };
}
