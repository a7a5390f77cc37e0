import { describe, expect, it } from "vitest";
import {
  DatabaseUnavailableError,
  isDatabaseUnavailableError,
  noteDatabaseUnavailable,
  runWithDatabaseScope,
  unavailableSummary,
} from "../../lib/db/availability";
import { DatabaseTimeoutError } from "../../lib/db/bounded-pool";

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

  it("counts every bounded wait that ran out as unavailable, not as a bug", () => {
    // Server-side bounds: statement_timeout, idle_in_transaction_session_timeout, lock_timeout.
    for (const state of ["57014", "25P03", "55P03", "57P05"]) {
      expect(isDatabaseUnavailableError(prismaError("P2010", { kind: "postgres", code: state, originalCode: state })), state).toBe(true);
    }
    // The client's answer bound, as the bounded pool throws it and as Prisma rethrows it (code copied).
    expect(isDatabaseUnavailableError(new DatabaseTimeoutError(3000))).toBe(true);
    expect(
      isDatabaseUnavailableError(
        Object.assign(new Error("Invalid `prisma.flag.findMany()` invocation:\n\nthe database did not answer within 3000 ms"), {
          code: "ROLLGATE_DATABASE_TIMEOUT",
          clientVersion: "7",
        }),
      ),
    ).toBe(true);
    // node-postgres: waiting for a pooled connection, a connect that timed out.
    expect(isDatabaseUnavailableError(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isDatabaseUnavailableError(new Error("Connection terminated due to connection timeout"))).toBe(true);
    // Prisma: a transaction that could not start within maxWait.
    expect(
      isDatabaseUnavailableError(
        Object.assign(new Error("Transaction API error: Unable to start a transaction in the given time."), {
          code: "P2028",
          clientVersion: "7",
        }),
      ),
    ).toBe(true);
  });

  it("summarises an outage in one line, naming what happened rather than the wrapper", () => {
    expect(unavailableSummary(new DatabaseUnavailableError(new DatabaseTimeoutError(3000)))).toBe(
      "the database did not answer within 3000 ms",
    );
    expect(unavailableSummary(new Error("Invalid `db.user.count()` invocation:\n\n\nconnect ECONNREFUSED 127.0.0.1:5432\n"))).toBe(
      "connect ECONNREFUSED 127.0.0.1:5432",
    );
  });

  it("leaves constraint violations, bad input and plain bugs alone", () => {
    expect(isDatabaseUnavailableError(prismaError("P2002", { kind: "UniqueConstraintViolation" }))).toBe(false);
    expect(isDatabaseUnavailableError(prismaError("P2010", { kind: "postgres", code: "22P02", originalCode: "22P02" }))).toBe(false);
    // Misusing a finished transaction is a bug, though it shares P2028 with "could not start in time".
    expect(
      isDatabaseUnavailableError(
        Object.assign(
          new Error("Transaction API error: Transaction already closed: A commit cannot be executed on an expired transaction."),
          {
            code: "P2028",
            clientVersion: "7",
          },
        ),
      ),
    ).toBe(false);
    expect(isDatabaseUnavailableError(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnavailableError(undefined)).toBe(false);
  });

  it("notes an outage on the current request only", () => {
    const seen = runWithDatabaseScope((state) => {
      expect(noteDatabaseUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(true);
      noteDatabaseUnavailable(new Error("Connection terminated unexpectedly")); // the first reason stays
      return { ...state };
    });
    expect(seen).toEqual({ databaseUnavailable: true, reason: "connect ECONNREFUSED 127.0.0.1:5432" });
    expect(runWithDatabaseScope((state) => state.databaseUnavailable)).toBe(false);
    // Outside any request: nothing to mark, and the caller is told so (it logs the failure itself).
    expect(noteDatabaseUnavailable(new Error("connect ECONNREFUSED"))).toBe(false);
  });
});
