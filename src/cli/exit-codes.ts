import { Code, ConnectError } from "@connectrpc/connect";
import { CommanderError } from "commander";
import { InterruptedError } from "./interrupt.js";
import { UsageError } from "./usage-error.js";

/** The exit codes of `contextiq`, by kind of failure; scripts can branch on them. */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** Anything not listed below (an unexpected error, a cancelled call, an internal error). */
  failure: 1,
  /** A bad option, argument or command: nothing was sent. */
  usage: 2,
  /** The service refused the request: INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION. */
  rejected: 3,
  /** The service does not know the id: NOT_FOUND. */
  notFound: 4,
  /** UNAUTHENTICATED or PERMISSION_DENIED: check `--api-key`. */
  auth: 5,
  /** The service could not be reached in time: UNAVAILABLE, DEADLINE_EXCEEDED. */
  unavailable: 6,
  /** Ctrl-C (SIGINT) stopped a command that runs until stopped: 128 + 2, as shells report it. */
  interrupted: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const byCode: ReadonlyMap<Code, ExitCodeValue> = new Map([
  [Code.InvalidArgument, ExitCode.rejected],
  [Code.AlreadyExists, ExitCode.rejected],
  [Code.FailedPrecondition, ExitCode.rejected],
  [Code.NotFound, ExitCode.notFound],
  [Code.Unauthenticated, ExitCode.auth],
  [Code.PermissionDenied, ExitCode.auth],
  // ServiceUnavailableError is a ConnectError with Code.Unavailable, so it lands here too.
  [Code.Unavailable, ExitCode.unavailable],
  [Code.DeadlineExceeded, ExitCode.unavailable],
]);

/** The exit code for a failure thrown by a command, or by commander while parsing. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof CommanderError) {
    // Help and version "fail" with exit code 0; every other commander error is about usage.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof InterruptedError) return ExitCode.interrupted;
  if (error instanceof ConnectError) return byCode.get(error.code) ?? ExitCode.failure;
  return ExitCode.failure;
}

/** The exit codes as the epilogue of `contextiq --help` shows them. */
export const exitCodesHelp = `
Exit codes:
  ${ExitCode.ok}  ok
  ${ExitCode.usage}  usage error: bad option, argument or command
  ${ExitCode.rejected}  rejected by the service: INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION
  ${ExitCode.notFound}  NOT_FOUND
  ${ExitCode.auth}  UNAUTHENTICATED, PERMISSION_DENIED
  ${ExitCode.unavailable}  service unavailable or too slow: UNAVAILABLE, DEADLINE_EXCEEDED
  ${ExitCode.failure}  anything else
  ${ExitCode.interrupted}  Ctrl-C stopped a command that watches: events watch, workers generate --follow`;
