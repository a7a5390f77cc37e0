import { describe, expect, it } from "vitest";
import {
  DatabaseUnavailableError,
  isDatabaseUnavailableError,
  noteDatabaseUnavailable,
  runWithDatabaseScope,
} from "../../lib/db/availability";

/** The shape Prisma 7 with @prisma/adapter-pg throws (observed against a stopped PostgreSQL). */
const prismaError = (code: string, cause: Record<string, unknown>) =>
  Object.assign(new Error("Invalid `db.user.count()` invocation"), {
    code,
    clientVersion: "7",
    meta: { driverAdapterError: Object.assign(new Error("DriverAdapterError"), { cause }) },
  });

describe("telling a database outage from a bad request or a bug", () => {
  it("recognises unreachable servers, shutdowns and dropped connections", () => {
    expect(isDatabaseUnavailableError(prismaError("P1001", { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 }))).toBe(true);
    for (const state of ["57P01", "57P02", "57P03", "08006", "08001", "53300"]) {
      expect(isDatabaseUnavailableError(prismaError("P2010", { kind: "postgres", code: state, originalCode: state })), state).toBe(true);
    }
    expect(isDatabaseUnavailableError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(
      true,
    );
    expect(isDatabaseUnavailableError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailableError(new DatabaseUnavailableError())).toBe(true);
  });

  it("leaves constraint violations, bad input and plain bugs alone", () => {
    expect(isDatabaseUnavailableError(prismaError("P2002", { kind: "UniqueConstraintViolation" }))).toBe(false);
    expect(isDatabaseUnavailableError(prismaError("P2010", { kind: "postgres", code: "22P02", originalCode: "22P02" }))).toBe(false);
    expect(isDatabaseUnavailableError(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnavailableError(undefined)).toBe(false);
  });

  it("notes an outage on the current request only", () => {
    const seen = runWithDatabaseScope((state) => {
      noteDatabaseUnavailable();
      return state.databaseUnavailable;
    });
    expect(seen).toBe(true);
    expect(runWithDatabaseScope((state) => state.databaseUnavailable)).toBe(false);
    noteDatabaseUnavailable(); // outside any request: nothing to mark, no error
  });
});
