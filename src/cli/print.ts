import type { JsonValue } from "@bufbuild/protobuf";
import type { Command } from "commander";
import { globalOptions } from "./global-options.js";
import type { CliIo } from "./io.js";

/** The two renderings of a command's result; only the one asked for is computed. */
export interface Rendering {
  /** For `--json`: what scripts parse. */
  readonly json: () => JsonValue;
  /** For people: a table or `label  value` lines, ending with a newline. */
  readonly text: () => string;
}

/**
 * Writes one item of a stream to stdout as soon as it comes: with `--json`, a line of compact JSON
 * (JSON Lines, which a script can read line by line while the stream lasts; an array would only
 * close at the end), else its text, a line.
 */
export function printItem(io: CliIo, command: Command, rendering: Rendering): void {
  io.stdout.write(
    globalOptions(command).json ? `${JSON.stringify(rendering.json())}\n` : rendering.text(),
  );
}

/** Writes the result of `command` to stdout, as JSON with `--json`, else as text. */
export function printResult(io: CliIo, command: Command, rendering: Rendering): void {
  io.stdout.write(
    globalOptions(command).json
      ? `${JSON.stringify(rendering.json(), null, 2)}\n`
      : rendering.text(),
  );
}
