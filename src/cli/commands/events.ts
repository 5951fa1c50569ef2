import type { JsonObject } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { sessionsClient } from "../clients.js";
import { defined } from "../defined.js";
import { globalOptions } from "../global-options.js";
import { examples } from "../help.js";
import { onInterrupt } from "../interrupt.js";
import type { CliIo } from "../io.js";
import { parseInteger, parseJsonObject } from "../parse-options.js";
import { printItem, printResult } from "../print.js";
import { reconnectLine } from "../reconnect-line.js";
import { eventDetails, eventJson, eventLine, eventsTable } from "../session-views.js";

interface AddOptions {
  session: string;
  type: string;
  data?: JsonObject;
  inputTokens?: number;
  outputTokens?: number;
}

interface WatchOptions {
  after?: string;
  type?: string;
}

/** `contextiq events add|list|watch`: the events of a session, on the Sessions service. */
export function eventsCommand(io: CliIo): Command {
  const events = new Command("events").description(
    "add, list and watch the events of a session (Sessions service; --url or SESSIONS_SERVICE_URL)",
  );

  events
    .command("add")
    .description("append an event to an active session and print it")
    .requiredOption("--session <id>", "the session's id (required)")
    .requiredOption("--type <type>", 'the event type, e.g. "message", 1-100 characters (required)')
    .addOption(new Option("--data <json>", "payload, a JSON object").argParser(parseJsonObject))
    .addOption(new Option("--input-tokens <n>", "input tokens, >= 0").argParser(parseInteger))
    .addOption(new Option("--output-tokens <n>", "output tokens, >= 0").argParser(parseInteger))
    .addHelpText(
      "after",
      examples(
        `events add --session 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --type message --data '{"content":"hi"}' --input-tokens 12`,
      ),
    )
    .action(async (options: AddOptions, command: Command) => {
      await using client = sessionsClient(command, io);
      const event = await client.createEvent({
        sessionId: options.session,
        eventType: options.type,
        ...defined({
          data: options.data,
          inputTokens: options.inputTokens,
          outputTokens: options.outputTokens,
        }),
      });
      printResult(io, command, { json: () => eventJson(event), text: () => eventDetails(event) });
    });

  events
    .command("list")
    .description("list the events of a session, oldest first")
    .requiredOption("--session <id>", "the session's id (required)")
    .option("--type <type>", "only events of this type")
    .addHelpText(
      "after",
      examples("events list --session 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --type message --json"),
    )
    .action(async (options: { session: string; type?: string }, command: Command) => {
      await using client = sessionsClient(command, io);
      const found = await client.listEvents(options.session, defined({ eventType: options.type }));
      printResult(io, command, {
        json: () => found.map(eventJson),
        text: () => eventsTable(found),
      });
    });

  events
    .command("watch")
    .description(
      "print a session's events as they are stored, the earlier ones first, until the session ends (exit 0) or Ctrl-C (exit 130)",
    )
    .argument("<session>", "the session's id")
    .option("--after <event-id>", "start after this event (default: the session's first event)")
    .option("--type <type>", "only events of this type")
    .addHelpText(
      "after",
      `${examples(
        "events watch 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b",
        "events watch 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --type message --json",
      )}

One line per event, with the columns of \`events list\`; with --json, one JSON object per line. A
dropped connection is reopened after the last event printed, and said on stderr. --timeout bounds
the whole watch.`,
    )
    .action(async (sessionId: string, options: WatchOptions, command: Command) => {
      await using client = sessionsClient(command, io);
      using interrupt = onInterrupt();
      // The client's --timeout is per call, and this watch is the one call: it bounds the watch.
      const { timeout } = globalOptions(command);
      const watch = client.watchEvents(sessionId, {
        signal: interrupt.signal,
        ...defined({ afterEventId: options.after, eventType: options.type }),
        ...(timeout === undefined ? {} : { timeoutMs: Math.max(1, Math.round(timeout * 1000)) }),
        onReconnect: (event) => io.stderr.write(reconnectLine(event)),
      });
      try {
        for await (const event of watch) {
          printItem(io, command, { json: () => eventJson(event), text: () => eventLine(event) });
        }
      } catch (error) {
        throw interrupt.explain(error);
      }
    });

  return events;
}
