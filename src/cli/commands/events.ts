import type { JsonObject } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { sessionsClient } from "../clients.js";
import { defined } from "../defined.js";
import { examples } from "../help.js";
import type { CliIo } from "../io.js";
import { parseInteger, parseJsonObject } from "../parse-options.js";
import { printResult } from "../print.js";
import { eventDetails, eventJson, eventsTable } from "../session-views.js";

interface AddOptions {
  session: string;
  type: string;
  data?: JsonObject;
  inputTokens?: number;
  outputTokens?: number;
}

/** `contextiq events add|list`: the events of a session, on the Sessions service. */
export function eventsCommand(io: CliIo): Command {
  const events = new Command("events").description(
    "add and list the events of a session (Sessions service; --url or SESSIONS_SERVICE_URL)",
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

  return events;
}
