// ConfigStore.caughtUp, what a write waits on before answering (lib/evaluation/served-here.ts): once
// it resolves true, this store serves every change committed before the call (configuration and SDK
// tokens, each reloaded by its own NOTIFY), and with its LISTEN connection down it answers false at
// once instead of making writes wait.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { ConfigStore } from "../../lib/evaluation/config-store";

let store: ConfigStore;
const t = setUpTestDatabase();
beforeAll(async () => {
  // No poll: only NOTIFY (and caughtUp's own) brings changes here.
  store = new ConfigStore(t.db, t.url, { pollMs: 3_600_000 });
  await store.start();
});
afterAll(async () => {
  await store?.stop();
});

const tokenHash = (token: string) => `encode(sha256(convert_to('${token}', 'UTF8')), 'hex')`;

describe("ConfigStore.caughtUp", () => {
  it("after a committed flag change, the snapshot has it as soon as caughtUp says so", async () => {
    for (let i = 0; i < 10; i++) {
      await t.sql(`INSERT INTO flags (key) VALUES ($1)`, [`caught-up-${i}`]);
      await t.sql(`UPDATE flag_states SET enabled = true, rollout_percent = 100 FROM flags f WHERE f.id = flag_id AND f.key = $1`, [
        `caught-up-${i}`,
      ]);
      expect(await store.caughtUp(5_000)).toBe(true);
      const { rows } = await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`);
      expect(store.snapshot("production")!.version).toBe(rows[0].v);
      expect(store.snapshot("production")!.flags.get(`caught-up-${i}`)?.rule).toMatchObject({ enabled: true, rolloutPercent: 100 });
    }
  });

  it("after a committed SDK token revocation, the token is refused as soon as caughtUp says so", async () => {
    for (let i = 0; i < 10; i++) {
      const token = `caught-up-token-${i}`;
      await t.sql(
        `INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix) VALUES ('t', 'sdk', 'production', ${tokenHash(token)}, 'caught')`,
      );
      expect(await store.caughtUp(5_000)).toBe(true);
      expect(store.sdkToken(token)?.environment).toBe("production");
      await t.sql(`UPDATE api_tokens SET revoked_at = now() WHERE token_hash = ${tokenHash(token)}`);
      expect(await store.caughtUp(5_000)).toBe(true);
      expect(store.sdkToken(token)).toBeUndefined();
    }
  });

  it("with nothing changed it answers at once; with its LISTEN connection gone, false without waiting", async () => {
    expect(await store.caughtUp(5_000)).toBe(true);
    const quiet = new ConfigStore(t.db, t.url, { pollMs: 3_600_000 });
    await quiet.start();
    await quiet.stop();
    const started = Date.now();
    expect(await quiet.caughtUp(5_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(4_000); // not the 5 s bound
  });
});
