import { setFlagsFromString } from "node:v8";

// Prisma's query compiler is WebAssembly. V8 compiles each function with its baseline compiler
// (Liftoff) when first called, then compiles the ones that run often again with its optimizing
// compiler (TurboFan) on background threads. For this module the second pass costs more than it
// returns: parsing the schema at start-up and planning each new query shape trip it, and cached
// queries barely run WebAssembly. Against the demo database, one process each (2026-12-06):
// start-up and a first query 139–149 ms of CPU instead of 252–278, fifteen new query shapes
// 44–45 ms instead of 242–394, 6,000 cached queries 2.96–3.15 s instead of 3.40–3.59 with the last
// 600 alike (200–212 against 187–193 ms). Every server, command-line script and worker makes its
// Prisma client through lib/db/client.ts, which imports this first, before the module is compiled.
setFlagsFromString("--liftoff-only");
