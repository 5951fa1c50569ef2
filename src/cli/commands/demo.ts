import { Command } from "commander";
import { runDemo } from "../demo.js";
import type { CliIo } from "../io.js";

/** `contextiq demo` (what `npm start` runs): the whole flow on this machine, in seconds. */
export function demoCommand(io: CliIo): Command {
  return new Command("demo")
    .description(
      "start the reference services, write a sample conversation, and run both workers over it, over gRPC and over JSON",
    )
    .option(
      "--data-dir <dir>",
      "keep the services' data in this folder (default: a temporary one, removed at the end)",
    )
    .action(async (options: { dataDir?: string }) => {
      await runDemo({ dataDir: options.dataDir, out: (line) => io.stdout.write(`${line}\n`) });
    });
}
