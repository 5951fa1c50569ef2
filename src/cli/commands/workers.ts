import { Command, InvalidArgumentError, Option } from "commander";
import { ConsolidationWorker, MemoryGenerationWorker } from "../../workers/index.js";
import { memoryClient, sessionsClient } from "../clients.js";
import { formatScope } from "../format.js";
import { globalOptions } from "../global-options.js";
import { examples } from "../help.js";
import { onInterrupt } from "../interrupt.js";
import type { CliIo } from "../io.js";
import { memoriesTable, memoryJson } from "../memory-views.js";
import { parseNumber, parseUrl } from "../parse-options.js";
import { printResult } from "../print.js";
import { progressDisplay } from "../progress.js";
import { reconnectLine } from "../reconnect-line.js";
import { scopeOption } from "../scope-option.js";
import { renderDetails } from "../table.js";

interface GenerateOptions {
  session: string;
  follow?: boolean;
  sessionsUrl?: string;
  memoryUrl?: string;
}

interface ConsolidateOptions {
  scope: Record<string, string>;
  topic?: string;
  threshold?: number;
}

/**
 * `contextiq workers generate|consolidate`: run a worker once (or, `generate --follow`, for as long
 * as its session lasts), with a progress bar on a terminal.
 */
export function workersCommand(io: CliIo): Command {
  const workers = new Command("workers").description(
    "run a memory worker once, here (progress on stderr when it is a terminal)",
  );

  workers
    .command("generate")
    .description("extract facts from a session's events and store them as memories")
    .requiredOption("--session <id>", "the session to read (required)")
    .option(
      "--follow",
      "watch the session and handle its events as they come, until it ends (Ctrl-C stops, exit 130)",
    )
    .addOption(
      new Option(
        "--sessions-url <url>",
        "base URL of the Sessions service (default: SESSIONS_SERVICE_URL)",
      ).argParser(parseUrl),
    )
    .addOption(
      new Option(
        "--memory-url <url>",
        "base URL of the Memory service (default: MEMORY_SERVICE_URL)",
      ).argParser(parseUrl),
    )
    .addHelpText(
      "after",
      examples(
        "workers generate --session 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b",
        "workers generate --session 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --sessions-url http://localhost:8001 --memory-url http://localhost:8002 --json",
        "workers generate --session 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --follow",
      ),
    )
    .action(async (options: GenerateOptions, command: Command) => {
      // This worker talks to both services, so one --url would be ambiguous.
      if (globalOptions(command).url !== undefined) {
        command.error(
          "error: option '--url' is ambiguous here, as this worker talks to both services: use --sessions-url and --memory-url",
          { exitCode: 2, code: "contextiq.ambiguousUrl" },
        );
      }
      await using sessions = sessionsClient(command, io, options.sessionsUrl);
      await using memory = memoryClient(command, io, options.memoryUrl);
      const progress = progressDisplay(io.stderr);
      const worker = new MemoryGenerationWorker({
        sessions,
        memory,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      // Only a follow run waits on the user; a one-shot run is left to Node's default Ctrl-C.
      using interrupt = options.follow ? onInterrupt() : undefined;
      const result = await worker
        .generate(
          options.session,
          interrupt === undefined
            ? {}
            : {
                follow: true,
                signal: interrupt.signal,
                onReconnect: (event) => {
                  // On a line of its own, not appended to the progress bar's.
                  progress.finish();
                  io.stderr.write(reconnectLine(event));
                },
              },
        )
        .catch((error: unknown) => {
          throw interrupt ? interrupt.explain(error) : error;
        })
        .finally(progress.finish);
      printResult(io, command, {
        json: () => ({ ...result, memories: result.memories.map(memoryJson) }),
        text: () =>
          renderDetails([
            ["session", result.sessionId],
            ["events read", String(result.eventsRead)],
            ["facts extracted", String(result.factsExtracted)],
            ["memories created", String(result.memoriesCreated)],
          ]) + (result.memories.length > 0 ? `\n${memoriesTable(result.memories)}` : ""),
      });
    });

  workers
    .command("consolidate")
    .description("merge near-duplicate memories of a scope into consolidated ones")
    .addOption(scopeOption("the memories to consolidate", { required: true }))
    .option("--topic <topic>", "only memories of this topic")
    .addOption(
      new Option(
        "--threshold <0-1>",
        "how similar memories must be to merge (worker default)",
      ).argParser(parseThreshold),
    )
    .addHelpText(
      "after",
      examples(
        "workers consolidate --scope user_id=123",
        "workers consolidate --scope user_id=123 --topic preferences --json",
      ),
    )
    .action(async (options: ConsolidateOptions, command: Command) => {
      await using memory = memoryClient(command, io);
      const progress = progressDisplay(io.stderr);
      const worker = new ConsolidationWorker({
        memory,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
      });
      const result = await worker
        .consolidate(options.scope, options.topic === undefined ? {} : { topic: options.topic })
        .finally(progress.finish);
      printResult(io, command, {
        json: () => ({ ...result, consolidated: result.consolidated.map(memoryJson) }),
        text: () =>
          renderDetails([
            ["scope", formatScope(result.scope)],
            ["memories read", String(result.memoriesRead)],
            ["groups", String(result.groups)],
            ["consolidated", String(result.consolidated.length)],
            ["originals deleted", String(result.originalsDeleted)],
          ]) + (result.consolidated.length > 0 ? `\n${memoriesTable(result.consolidated)}` : ""),
      });
    });

  return workers;
}

// The worker would refuse it too, but as INVALID_ARGUMENT (exit 3): this names the option, exit 2.
function parseThreshold(value: string): number {
  const threshold = parseNumber(value);
  if (!(threshold > 0 && threshold <= 1)) {
    throw new InvalidArgumentError("expected a number above 0 and at most 1");
  }
  return threshold;
}
