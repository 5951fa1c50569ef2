import { CommanderError } from "commander";
import { ExitCode, type ExitCodeValue, exitCodeOf } from "./exit-codes.js";
import { InterruptedError } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { createProgram } from "./program.js";
import { describeError } from "./report-error.js";

/**
 * Runs `contextiq` with `argv` (the arguments after the program name) and returns the exit code;
 * a failure is reported on `io.stderr`, never thrown.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  try {
    await createProgram(io).parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    // Commander has already written its own errors (and help) to stderr; Ctrl-C needs no words.
    if (!(error instanceof CommanderError || error instanceof InterruptedError)) {
      for (const line of describeError(error)) io.stderr.write(`${line}\n`);
    }
    return exitCodeOf(error);
  }
}
