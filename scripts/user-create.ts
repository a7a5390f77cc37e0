// npm run user:create -- --email ops@example.com --name "Ops Lead" --roles admin
//
// Creates a user who signs in with a password, as the Admin page does, so that a deployment without
// demo data (ROLLGATE_DEMO=off) has a first admin. Whoever holds the database's credentials may run it;
// the audit log records it as done at the command line. It takes the same environment as `npm start`
// (DATABASE_URL, or the embedded database in ROLLGATE_DATA_DIR, also while the server runs).
//
// The password is generated and printed once, unless --password-stdin reads it from standard input
// (so it never shows in the process list or the shell history). Roles: comma- or plus-separated.
//
// Exit codes: 0 created; 1 refused (invalid input, or a user with that email exists); 2 could not run.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createDb } from "../lib/db/client";
import { createUserAs } from "../lib/users/create-user";
import { createUserSchema } from "../lib/users/user-schemas";
import { AppError } from "../lib/errors";
import { oneLineReason, withDatabase } from "./database-runtime";

const EXIT_REFUSED = 1;
const EXIT_COULD_NOT_RUN = 2;
const USAGE = 'usage: npm run user:create -- --email <email> --name "<name>" --roles admin[,engineer,…] [--password-stdin]';

function refuse(message: string): never {
  console.error(`user:create: ${message}`);
  process.exit(EXIT_REFUSED);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      email: { type: "string" },
      name: { type: "string" },
      roles: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (err) {
  refuse(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
}

const generated = !args["password-stdin"];
const password = generated ? randomBytes(18).toString("base64url") : readFileSync(0, "utf8").replace(/\r?\n$/, "");
const input = createUserSchema.safeParse({
  email: args.email ?? "",
  name: args.name ?? "",
  roles: (args.roles ?? "").split(/[,+]/).filter(Boolean),
  password,
});
if (!input.success) {
  refuse(`${input.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ")}\n${USAGE}`);
}

try {
  await withDatabase(
    async ({ url }) => {
      const db = createDb(url, { max: 1 });
      try {
        const user = await createUserAs(db, { id: null, label: "command line (npm run user:create)" }, input.data);
        console.log(`created ${user.email} (${user.name}) with roles ${user.roles.join(", ")}`);
        if (generated) {
          console.log(`password (shown only now): ${password}`);
          console.log("sign in with it and change it on the Account page");
        }
      } finally {
        await db.$disconnect();
      }
    },
    { shareRunning: true, notice: (line) => console.log(line), as: "app" },
  );
} catch (err) {
  if (err instanceof AppError) refuse(err.message);
  const why = oneLineReason(err);
  console.error(`user:create could not run: ${why}`);
  process.exit(EXIT_COULD_NOT_RUN);
}
