// Which status a caller sees for each kind of database failure: UNAVAILABLE only when the
// database surely did nothing of the call (the clients retry it), UNKNOWN when a write may have
// been applied, ABORTED for a conflict that kept coming back. No database needed.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { asServiceError, outcomeUnknown } from "../../src/server/store/postgres/service-errors.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("PostgreSQL errors as the services answer them", () => {
  it.each([
    [withCode("connect ECONNREFUSED 10.0.0.5:5432", "ECONNREFUSED"), "ECONNREFUSED"],
    [withCode("terminating connection due to administrator command", "57P01"), "SQLSTATE 57P01"],
    [withCode("sorry, too many clients already", "53300"), "SQLSTATE 53300"],
    [withCode("connection failure", "08006"), "SQLSTATE 08006"],
    [new Error("Connection terminated unexpectedly"), "connection lost"],
    [new Error("timeout exceeded when trying to connect"), "no connection free in time"],
  ])("%s is UNAVAILABLE, naming the kind of failure but not the address", (error, reason) => {
    const mapped = asServiceError(error) as ConnectError;
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped.code).toBe(Code.Unavailable);
    expect(mapped.rawMessage).toBe(`the database is unavailable (${reason})`);
    expect(mapped.rawMessage).not.toContain("10.0.0.5");
    expect(mapped.cause).toBe(error);
  });

  it("makes a deadlock that outlived its attempts ABORTED", () => {
    const mapped = asServiceError(withCode("deadlock detected", "40P01")) as ConnectError;
    expect(mapped.code).toBe(Code.Aborted);
  });

  it("leaves ConnectErrors and other database errors as they are", () => {
    const notFound = new ConnectError("session x not found", Code.NotFound);
    expect(asServiceError(notFound)).toBe(notFound);
    const unique = withCode("duplicate key value violates unique constraint", "23505");
    expect(asServiceError(unique)).toBe(unique);
    expect(outcomeUnknown(unique)).toBe(unique);
  });

  it("makes a connection lost before a write was confirmed UNKNOWN: it may have been applied", () => {
    const lost = new Error("Connection terminated unexpectedly");
    const mapped = outcomeUnknown(lost) as ConnectError;
    expect(mapped.code).toBe(Code.Unknown);
    expect(mapped.rawMessage).toMatch(/may or may not have been applied/);
  });
});
