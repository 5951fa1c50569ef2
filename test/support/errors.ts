// Assertions on the errors the services return: the code, and the field named in the message and
// in the google.rpc.BadRequest detail.
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** Awaits `call`, expects a ConnectError with `code`, and returns it. */
export async function rejection(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(Code[connectError.code], connectError.message).toBe(Code[code]);
  return connectError;
}

/** Expects INVALID_ARGUMENT naming `fields` (the first in the message, all in the details). */
export async function invalid(call: Promise<unknown>, ...fields: string[]): Promise<ConnectError> {
  const error = await rejection(call, Code.InvalidArgument);
  expect(error.rawMessage.startsWith(`${fields[0]}`), error.rawMessage).toBe(true);
  const violations = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
  expect(violations.map((v) => v.field)).toEqual(fields);
  return error;
}

/** The reason of the google.rpc.ErrorInfo detail of `error`, e.g. "SESSION_EXPIRED". */
export function reasonOf(error: ConnectError): string | undefined {
  return error.findDetails(ErrorInfoSchema)[0]?.reason;
}
