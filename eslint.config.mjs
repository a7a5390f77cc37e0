import next from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Supabase code is loaded only when it is configured: everything goes through the loader in
// lib/auth/supabase-settings.ts or a dynamic import() (which this rule does not flag).
const lazySupabase = {
  group: ["**/auth/supabase/*", "@supabase/*", "jose"],
  message: "Load Supabase code through loadSupabaseSignIn() or a dynamic import().",
};

// Only lib/ talks to the database; routes and components go through its services.
const appPatterns = [
  { group: ["**/db/generated/**", "@prisma/*", "pg"], message: "Use a service in lib/<feature>/ instead." },
  lazySupabase,
];

// Prefetching only re-renders the layout for a page that is rendered again on the click.
const noPrefetch = { group: ["next/link"], message: "Use Link from @/components/ui/link, which does not prefetch." };

const config = [
  ...next,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      "lib/db/generated/**",
      "packages/sdk/dist/**",
      ".data/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
  {
    // No function over 150 lines: a component that long is several components and a state hook.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    rules: {
      "max-lines-per-function": ["error", { max: 150 }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [...appPatterns, noPrefetch],
        },
      ],
    },
  },
  {
    // The one place that imports Next's Link, to turn its prefetching off.
    files: ["components/ui/link.tsx"],
    rules: { "no-restricted-imports": ["error", { patterns: appPatterns }] },
  },
  {
    // The domain core stays framework-free so it can be unit-tested and shipped in the SDK.
    files: ["lib/**/*.ts"],
    ignores: ["lib/server/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["next", "next/*", "react"], message: "lib/ must not depend on Next.js or React." }, lazySupabase] },
      ],
    },
  },
  {
    // lib/domain is pure and self-contained (the SDK bundles it): it imports its own files by "./name"
    // and nothing else: no "@/", no "../" out of the folder, no npm packages, no Node built-ins.
    // This replaces the lib/** rule above for these files (and is stricter than it).
    files: ["lib/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              // Anything but "./x" with no ".." segment.
              regex: "^(?!\\./(?!(?:.*/)?\\.\\.(?:/|$)))",
              message: "lib/domain imports only its own files ('./name'): keep it free of the app, packages and Node.",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ImportExpression", message: "lib/domain imports only its own files, statically ('./name')." },
      ],
    },
  },
  {
    files: ["lib/auth/supabase/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["next", "next/*", "react"], message: "lib/ must not depend on Next.js or React." }] },
      ],
    },
  },
  { files: ["lib/server/**/*.ts", "scripts/**/*.ts"], rules: { "no-restricted-imports": ["error", { patterns: [lazySupabase] }] } },
];

export default config;
