// The two TypeScript compilers in this repository, by path. TypeScript 7 (the native compiler) checks
// the project and builds the SDK's declarations; TypeScript 5.9 stays in the root's node_modules
// because Next.js and typescript-eslint load it (tools/typescript-7/package.json), and it is the one
// compiler here that still has `moduleResolution: node10`, which the SDK package test covers for
// consumers on older setups.
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

/** TypeScript 7's `tsc`, run with `node`. */
export const TSC_7 = path.join(root, "tools/typescript-7/node_modules/typescript/bin/tsc");
/** TypeScript 5.9's `tsc`, run with `node`. */
export const TSC_5 = path.join(root, "node_modules/typescript/bin/tsc");
