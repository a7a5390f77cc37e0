// The npm registry reachable from our build machines serves only the platform packages Linux x64
// needs, so `npm install` cannot record the other platforms' optional binaries in package-lock.json,
// and `npm ci` then refuses the lock as out of sync. This adds an entry (version, os, cpu) for each
// missing optional platform package; npm ci skips them as incompatible without fetching anything.
// Run after changing dependencies: `node scripts/lockfile-platform-stubs.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const OSES = ["android", "darwin", "freebsd", "linux", "win32", "openharmony", "openbsd", "netbsd", "sunos", "aix"];
const CPUS = ["arm64", "x64", "arm", "ia32", "loong64", "ppc64", "riscv64", "s390x", "wasm32", "mips64el"];

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[base] || lock.packages[`node_modules/${name}`]) continue;
    const tokens = name.split("/").pop().split("-");
    const os = tokens.find((t) => OSES.includes(t));
    const cpu = tokens.find((t) => CPUS.includes(t));
    if (!cpu) continue;
    const stub = { version: spec.replace(/^[\^~=]/, ""), optional: true, ...(os ? { os: [os] } : {}), cpu: [cpu] };
    if (tokens.some((t) => t.startsWith("musl"))) stub.libc = ["musl"];
    if (tokens.includes("gnu")) stub.libc = ["glibc"];
    if (entry.dev) stub.dev = true;
    lock.packages[`node_modules/${name}`] = stub;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: added ${added} platform stub(s)`);
