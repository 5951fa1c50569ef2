import { type Command, Option } from "commander";
import type { TransportKind } from "../client/client-options.js";
import { parseSeconds, parseUrl } from "./parse-options.js";

/** The options every command accepts, before or after its name. */
export interface GlobalOptions {
  transport?: TransportKind;
  url?: string;
  timeout?: number;
  apiKey?: string;
  json?: boolean;
}

/** Declares the {@link GlobalOptions} on the program. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option(
        "--transport <kind>",
        "how to reach the service (default: *_SERVICE_TRANSPORT, json)",
      ).choices(["json", "grpc"]),
    )
    .addOption(
      new Option(
        "--url <url>",
        "base URL of the service the command talks to (default: SESSIONS_SERVICE_URL or MEMORY_SERVICE_URL)",
      ).argParser(parseUrl),
    )
    .addOption(
      new Option(
        "--timeout <seconds>",
        "deadline of each call, retries included (default: *_SERVICE_TIMEOUT, 30)",
      ).argParser(parseSeconds),
    )
    .option("--api-key <key>", "sent as x-api-key (default: *_SERVICE_API_KEY)")
    .option("--json", "print the result as JSON instead of a table");
}

/** The global options as given to `command` or to any command above it. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}
