import path from "node:path";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.string().url("must be a postgres:// URL").optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  ROLLGATE_DATA_DIR: z.string().default(".data"),
  ROLLGATE_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  ROLLGATE_BOOTSTRAP_TOKENS: z.string().default(""),
  ROLLGATE_DEMO: z.enum(["auto", "off"]).default("auto"),
  ROLLGATE_DEMO_PASSWORD: z.string().min(8, "at least 8 characters").default("rollgate-demo"),
});

export type Config = z.infer<typeof schema> & { dataDir: string };

/** Parsed once at start-up; a bad value stops the process with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.ROLLGATE_DATA_DIR) };
}
