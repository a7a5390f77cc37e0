// The container recipe (Dockerfile, compose.yaml, deploy/postgres-init.sh) checked against itself and
// the README: there is no YAML parser among the dependencies and no Docker daemon in CI, so these are
// structural checks of what would break a deployment silently (a root user, a health check on the
// wrong path or port, a variable the server does not read, URLs naming a role the init script never
// creates). The one-pass start the containers perform is tests/integration/one-pass-deploy.test.ts.
import { accessSync, constants, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (file: string) => readFileSync(file, "utf8");
const dockerfile = read("Dockerfile");
const compose = read("compose.yaml");
const initScript = read("deploy/postgres-init.sh");

/** The variables of README's Configuration table. */
function documentedVariables(): Set<string> {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!));
}

/** The lines indented under `key:` at `indent` spaces (a block of compose.yaml). */
function block(text: string, key: string, indent: number): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l === `${" ".repeat(indent)}${key}:`);
  expect(start, `${key}: at indent ${indent}`).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    if (line.length - line.trimStart().length <= indent) break;
    body.push(line);
  }
  return body;
}

/** `KEY: value` pairs directly under `key:` (one level deeper). */
function mapping(lines: string[]): Map<string, string> {
  const depth = Math.min(...lines.map((l) => l.length - l.trimStart().length));
  return new Map(
    lines
      .filter((l) => l.length - l.trimStart().length === depth)
      .map((l) => /^\s*([\w.-]+):\s*(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, "$1")]),
  );
}

const dockerStages = dockerfile.split(/^FROM /m).slice(1);
const runtimeStage = dockerStages.at(-1)!;
const dockerEnv = new Map([...runtimeStage.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));

describe("Dockerfile", () => {
  it("builds in a node:20-slim stage with npm ci and npm run build, and runs from another one", () => {
    expect(dockerStages).toHaveLength(2);
    for (const stage of dockerStages) expect(stage).toMatch(/^node:20-slim\b/);
    expect(dockerStages[0]).toMatch(/^RUN npm ci$/m);
    expect(dockerStages[0]).toMatch(/^RUN npm run build$/m);
    expect(runtimeStage).toMatch(/^COPY --from=build /m);
  });

  it("runs npm start as a non-root user, without building at start, with a health check on /healthz at its port", () => {
    const user = [...runtimeStage.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    expect(runtimeStage.indexOf(`USER ${user}`)).toBeLessThan(runtimeStage.indexOf("CMD "));
    expect(runtimeStage).toMatch(/^CMD \["npm", "start"\]$/m);
    expect(dockerEnv.get("ROLLGATE_SKIP_BUILD")).toBe("1");
    const port = dockerEnv.get("PORT");
    expect(runtimeStage).toMatch(new RegExp(`^EXPOSE ${port}$`, "m"));
    const healthcheck = /^HEALTHCHECK (?:[^\n]*\\\n)*[^\n]*/m.exec(runtimeStage)?.[0] ?? "";
    expect(healthcheck).toContain("/healthz");
    expect(healthcheck).toContain("process.env.PORT || 3000");
    expect(port).toBe("3000");
  });

  it("sets only variables the README documents", () => {
    const documented = documentedVariables();
    expect(documented.size).toBeGreaterThan(20);
    for (const name of dockerEnv.keys()) if (name !== "NODE_ENV") expect(documented, name).toContain(name);
  });

  it("keeps host builds, dependencies and data out of the image", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const entry of ["node_modules", ".next", ".data", "lib/db/generated", ".git", ".env*"]) expect(ignored).toContain(entry);
  });
});

describe("compose.yaml", () => {
  const services = block(compose, "services", 0);
  const postgres = block(services.join("\n"), "postgres", 2);
  const rollgate = block(services.join("\n"), "rollgate", 2);
  const rollgateEnv = mapping(block(rollgate.join("\n"), "environment", 4));

  it("runs PostgreSQL 17 and Rollgate built from this Dockerfile, both with health checks; Rollgate waits for a healthy database", () => {
    expect(mapping(postgres).get("image")).toBe("postgres:17");
    expect(mapping(rollgate).get("build")).toBe(".");
    expect(block(postgres.join("\n"), "healthcheck", 4).join("\n")).toContain("pg_isready");
    expect(block(rollgate.join("\n"), "healthcheck", 4).join("\n")).toContain("/healthz");
    expect(block(rollgate.join("\n"), "depends_on", 4).join("\n")).toMatch(/postgres:\s+condition: service_healthy/);
  });

  it("gives Rollgate the two URLs: rollgate_app, and the owner the init script creates, on the database it creates", () => {
    const app = new URL(rollgateEnv.get("DATABASE_URL")!.replace(/\$\{[^}]+\}/, "secret"));
    const owner = new URL(rollgateEnv.get("DATABASE_MIGRATION_URL")!.replace(/\$\{[^}]+\}/, "secret"));
    expect(app.username).toBe("rollgate_app");
    const created = /CREATE ROLE (\w+) LOGIN CREATEROLE PASSWORD/.exec(initScript);
    const database = /CREATE DATABASE (\w+) OWNER (\w+);/.exec(initScript);
    expect(owner.username).toBe(created?.[1]);
    expect(database?.[2]).toBe(created?.[1]);
    for (const url of [app, owner]) {
      expect(url.hostname).toBe("postgres");
      expect(url.pathname).toBe(`/${database?.[1]}`);
    }
    expect(initScript).not.toMatch(/SUPERUSER/);
    expect(rollgateEnv.get("ROLLGATE_DEMO")).toBe("off");
  });

  it("mounts the init script where the postgres image runs it, and it is executable", () => {
    const mount = block(postgres.join("\n"), "volumes", 4).find((l) => l.includes("docker-entrypoint-initdb.d"));
    expect(mount).toMatch(/- \.\/deploy\/postgres-init\.sh:\/docker-entrypoint-initdb\.d\/[\w-]+\.sh:ro$/);
    expect(() => accessSync("deploy/postgres-init.sh", constants.X_OK)).not.toThrow();
    expect(initScript).toMatch(/^#!\/bin\/sh\n/);
  });

  it("publishes the port Rollgate listens on, and sets only variables the README documents", () => {
    const port = rollgateEnv.get("PORT") ?? dockerEnv.get("PORT");
    expect(block(rollgate.join("\n"), "ports", 4).map((l) => l.trim())).toContain(`- "${port}:${port}"`);
    expect(block(rollgate.join("\n"), "healthcheck", 4).join("\n")).toContain(`127.0.0.1:${port}/healthz`);
    const documented = documentedVariables();
    for (const name of rollgateEnv.keys()) expect(documented, name).toContain(name);
  });
});
