/** The production SDK token tests/e2e/serve.ts creates at start (ROLLGATE_BOOTSTRAP_TOKENS). */
export const E2E_SDK_TOKEN = "e2e-sdk-production-token-0001";
