// Exit codes and error lines, in-process: the mapping from each kind of failure, and usage errors
// that runCli reports before anything is sent.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ExitCode, exitCodeOf } from "../../src/cli/exit-codes.js";
import { InterruptedError } from "../../src/cli/interrupt.js";
import { describeError } from "../../src/cli/report-error.js";
import { runCli } from "../../src/cli/run.js";
import { ServiceUnavailableError } from "../../src/errors/service-unavailable-error.js";

describe("exitCodeOf", () => {
  it.each([
    [Code.InvalidArgument, ExitCode.rejected],
    [Code.AlreadyExists, ExitCode.rejected],
    [Code.FailedPrecondition, ExitCode.rejected],
    [Code.NotFound, ExitCode.notFound],
    [Code.Unauthenticated, ExitCode.auth],
    [Code.PermissionDenied, ExitCode.auth],
    [Code.Unavailable, ExitCode.unavailable],
    [Code.DeadlineExceeded, ExitCode.unavailable],
    [Code.Canceled, ExitCode.failure],
    [Code.Internal, ExitCode.failure],
  ])("maps code %i to %i", (code, exit) => {
    expect(exitCodeOf(new ConnectError("x", code))).toBe(exit);
  });

  it("maps a ServiceUnavailableError and anything else", () => {
    const cause = new ConnectError("refused", Code.Unavailable);
    expect(exitCodeOf(new ServiceUnavailableError("s", "http://x", 4, cause))).toBe(6);
    expect(exitCodeOf(new Error("boom"))).toBe(1);
  });

  it("maps Ctrl-C of a command that watches to 130", () => {
    expect(exitCodeOf(new InterruptedError())).toBe(ExitCode.interrupted);
    expect(ExitCode.interrupted).toBe(130);
  });
});

describe("describeError", () => {
  it("lists every field violation of an INVALID_ARGUMENT", () => {
    const error = new ConnectError(
      "confidence: must be between 0 and 1, got 2 (and 1 more violation)",
      Code.InvalidArgument,
      undefined,
      [
        {
          desc: BadRequestSchema,
          value: {
            fieldViolations: [
              { field: "confidence", description: "must be between 0 and 1, got 2" },
              { field: "importance", description: "must be between 0 and 1, got 3" },
            ],
          },
        },
      ],
    );
    expect(describeError(error)).toEqual([
      "error: confidence: must be between 0 and 1, got 2 (and 1 more violation) (invalid_argument)",
      "  confidence: must be between 0 and 1, got 2",
      "  importance: must be between 0 and 1, got 3",
    ]);
  });
});

describe("runCli usage errors", () => {
  async function run(...argv: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: { SESSIONS_SERVICE_URL: "http://127.0.0.1:1", MEMORY_SERVICE_URL: "http://127.0.0.1:1" },
    });
    return { code, stdout, stderr };
  }

  it.each([
    [["memories", "update", "0b6c2f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"], /nothing to update/],
    [["workers", "generate", "--session", "x", "--url", "http://h:1"], /'--url' is ambiguous/],
    [
      ["events", "add", "--session", "x", "--type", "m", "--data", "{oops"],
      /'--data <json>'.*not valid JSON/,
    ],
    [
      ["memories", "create", "--scope", "a=1", "--fact", "f", "--confidence", "high"],
      /'--confidence <0-1>'.*expected a number/,
    ],
    [["memories", "list"], /required option '--scope <key=value>' not specified/],
    [["sessions", "list", "--transport", "carrier-pigeon"], /Allowed choices are json, grpc/],
    [["workers", "consolidate", "--scope", "a=1", "--threshold", "0"], /'--threshold <0-1>'/],
    [["sessions"], /Usage: contextiq sessions/],
  ])("%j exits with 2", async (argv, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
  });

  it("names the variable of a bad client setting, and exits with 2", async () => {
    let stderr = "";
    const code = await runCli(["sessions", "list"], {
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: { SESSIONS_SERVICE_TIMEOUT: "thirty" },
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: SESSIONS_SERVICE_TIMEOUT must be a number of seconds, got "thirty"\n',
    );
  });
});
