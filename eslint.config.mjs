import next from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...next,
  ...nextTs,
  { ignores: [".next/**", "lib/db/generated/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  {
    // Only lib/ talks to the database; routes and components go through its services.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/db/generated/**", "@prisma/*", "pg"], message: "Use a service in lib/<feature>/ instead." }] },
      ],
    },
  },
  {
    // The domain core stays framework-free so it can be unit-tested and shipped in the SDK.
    files: ["lib/**/*.ts"],
    ignores: ["lib/server/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["next", "next/*", "react"], message: "lib/ must not depend on Next.js or React." }] },
      ],
    },
  },
];

export default config;
