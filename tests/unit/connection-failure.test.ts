import { describe, expect, it } from "vitest";
import { connectFailureLine, describeUrl } from "../../lib/db/connection-failure";
import { roleOfUser } from "../../lib/db/external-database";
import { scramVerifier } from "../../lib/db/scram-verifier";

const OWNER = "postgresql://rollgate_owner:s3cret@db.example.com:6432/rollgate";
const APP = "postgresql://rollgate_app.abcdefghijklmnopqrst:s3cret@pooler.example.com/postgres";
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("a failed connection in one line", () => {
  it("names the variable, the cause and the fix, never the password", () => {
    const lines = [
      connectFailureLine(pgError("28P01", 'password authentication failed for user "rollgate_owner"'), "DATABASE_MIGRATION_URL", OWNER),
      connectFailureLine(pgError("3D000", 'database "rollgate" does not exist'), "DATABASE_MIGRATION_URL", OWNER),
      connectFailureLine(pgError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.1:6432"), "DATABASE_MIGRATION_URL", OWNER),
      connectFailureLine(pgError("ENOTFOUND", "getaddrinfo ENOTFOUND db.example.com"), "DATABASE_MIGRATION_URL", OWNER),
      connectFailureLine(new Error("Connection terminated due to connection timeout"), "DATABASE_MIGRATION_URL", OWNER),
      connectFailureLine(pgError("28000", 'no pg_hba.conf entry for host "10.0.0.2"'), "DATABASE_URL", APP),
      connectFailureLine(pgError("28P01", "password authentication failed"), "DATABASE_URL", APP),
    ];
    expect(lines).toEqual([
      'DATABASE_MIGRATION_URL: password authentication failed for user "rollgate_owner" on db.example.com:6432: put that role\'s password in DATABASE_MIGRATION_URL',
      'DATABASE_MIGRATION_URL: database "rollgate" does not exist on db.example.com:6432: create it (as a superuser or a role with CREATEDB): createdb -h db.example.com -p 6432 -O rollgate_owner rollgate',
      "DATABASE_MIGRATION_URL: cannot reach PostgreSQL at db.example.com:6432 (ECONNREFUSED): check the host and port in DATABASE_MIGRATION_URL and that the server runs and accepts TCP connections",
      "DATABASE_MIGRATION_URL: cannot reach PostgreSQL at db.example.com:6432 (ENOTFOUND): check the host and port in DATABASE_MIGRATION_URL and that the server runs and accepts TCP connections",
      "DATABASE_MIGRATION_URL: PostgreSQL at db.example.com:6432 did not answer (Connection terminated due to connection timeout): check the host, port and firewall",
      'DATABASE_URL: the server refused "rollgate_app.abcdefghijklmnopqrst" (no pg_hba.conf entry for host "10.0.0.2"): check the user name in DATABASE_URL, that the role has LOGIN and that pg_hba.conf lets it in',
      'DATABASE_URL: password authentication failed for user "rollgate_app.abcdefghijklmnopqrst" on pooler.example.com:5432: npm start with DATABASE_MIGRATION_URL (the owner) gives rollgate_app the password in DATABASE_URL; run it first, or put rollgate_app\'s password in DATABASE_URL',
    ]);
    for (const line of lines) {
      expect(line).not.toContain("s3cret");
      expect(line).not.toContain("\n");
    }
  });

  it("leaves errors that are not about connecting to the caller", () => {
    expect(connectFailureLine(pgError("42P01", 'relation "flags" does not exist'), "DATABASE_URL", OWNER)).toBeNull();
  });

  it("reads the database and the role behind a URL, Supabase's pooler user names included", () => {
    expect(describeUrl(OWNER)).toEqual({ user: "rollgate_owner", host: "db.example.com", port: "6432", database: "rollgate" });
    expect(roleOfUser("rollgate_app.abcdefghijklmnopqrst")).toBe("rollgate_app");
    expect(roleOfUser("postgres.abcdefghijklmnopqrst")).toBe("postgres");
    expect(roleOfUser("rollgate_app")).toBe("rollgate_app");
    expect(roleOfUser("team.rollgate")).toBe("team.rollgate");
  });
});

describe("the SCRAM verifier start-up sends instead of the password", () => {
  it("has PostgreSQL's format and differs per salt (PostgreSQL accepting it: tests/integration/one-pass-deploy.test.ts)", () => {
    const salt = Buffer.alloc(16, 7);
    const verifier = scramVerifier("pencil", 4096, salt);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(verifier).toBe(scramVerifier("pencil", 4096, salt));
    expect(scramVerifier("pencil")).not.toBe(scramVerifier("pencil"));
    expect(verifier).not.toContain("pencil");
  });
});
