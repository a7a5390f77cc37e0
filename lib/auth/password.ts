import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

// OWASP's scrypt floor (N=2^17, r=8, p=1) costs ~128 MiB; 2^15 keeps sign-in < 100 ms on 2 cores
// while staying far above brute-force budgets for the passwords we accept (≥ 8 chars).
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
// ROLLGATE_UNSAFE_FAST_PASSWORD_HASH=1, for test suites only: 32× cheaper to compute, and to crack.
// The suite signs in and creates users about 200 times, ~0.1 CPU-s each at 2^15.
const FAST_PARAMS = { N: 2 ** 10, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** The parameters new hashes get. Read per call: the CLI scripts and the tests hash without a loaded configuration. */
function hashParams(): { N: number; r: number; p: number } {
  return process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH === "1" ? FAST_PARAMS : PARAMS;
}

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { ...params, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Format: scrypt$N$r$p$saltB64$hashB64, so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const params = hashParams();
  const key = await derive(password, salt, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), key.toString("base64")].join("$");
}

/**
 * A hash no password matches (an all-zero key), costing what a real one made now does to check: what
 * a sign-in verifies when there is no real hash, so every refusal takes as long as a wrong password.
 */
export function unmatchableHash(): string {
  const { N, r, p } = hashParams();
  return ["scrypt", N, r, p, Buffer.alloc(16).toString("base64"), Buffer.alloc(KEY_LENGTH).toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await derive(password, Buffer.from(salt, "base64"), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
