// The esbuild settings for a test process bundled into one file (the integration tests' servers and
// command-line scripts, tests/support/server-bundle.ts; the browser tests' servers,
// tests/e2e/serve-bundled.mjs). Plain JavaScript so the untranspiled launcher can import it.
/** @type {import("esbuild").BuildOptions} */
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Packages stay external and resolve from the checkout's node_modules, so the output must lie inside it.
  packages: "external",
  // Stack traces name the source files when Node is asked for them (--enable-source-maps).
  sourcemap: "linked",
  logLevel: "error",
};
