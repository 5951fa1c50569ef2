import type { JsonObject } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { sessionsClient } from "../clients.js";
import { defined } from "../defined.js";
import { examples } from "../help.js";
import type { CliIo } from "../io.js";
import { parseInteger, parseJsonObject } from "../parse-options.js";
import { printResult } from "../print.js";
import { scopeOption } from "../scope-option.js";
import { sessionDetails, sessionJson, sessionsTable } from "../session-views.js";

interface CreateOptions {
  scope?: Record<string, string>;
  title?: string;
  description?: string;
  ttl?: number;
  state?: JsonObject;
}

/** `contextiq sessions create|get|list|end|delete`: the Sessions service's sessions. */
export function sessionsCommand(io: CliIo): Command {
  const sessions = new Command("sessions").description(
    "create, show, list, end and delete sessions (Sessions service; --url or SESSIONS_SERVICE_URL)",
  );

  sessions
    .command("create")
    .description("create a session and print it")
    .addOption(scopeOption("who the session belongs to"))
    .option("--title <title>", "at most 500 characters")
    .option("--description <text>", "at most 10,000 characters")
    .addOption(
      new Option(
        "--ttl <seconds>",
        "inactivity before it expires, 1-86400 (service default 3600)",
      ).argParser(parseInteger),
    )
    .addOption(
      new Option("--state <json>", "initial state, a JSON object").argParser(parseJsonObject),
    )
    .addHelpText(
      "after",
      examples(
        `sessions create --scope user_id=123 --title "Support chat"`,
        `sessions create --scope user_id=123,agent=helpdesk --ttl 600 --state '{"step":1}' --json`,
      ),
    )
    .action(async (options: CreateOptions, command: Command) => {
      await using client = sessionsClient(command, io);
      const session = await client.createSession(
        defined({
          scope: options.scope,
          title: options.title,
          description: options.description,
          ttlSeconds: options.ttl,
          state: options.state,
        }),
      );
      printResult(io, command, {
        json: () => sessionJson(session),
        text: () => sessionDetails(session),
      });
    });

  sessions
    .command("get")
    .description("print a session")
    .argument("<id>", "the session's id")
    .option("--include-inactive", "also when it has ended or expired (else FAILED_PRECONDITION)")
    .addHelpText("after", examples("sessions get 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b --json"))
    .action(async (id: string, options: { includeInactive?: boolean }, command: Command) => {
      await using client = sessionsClient(command, io);
      const session = await client.getSession(id, {
        includeInactive: options.includeInactive ?? false,
      });
      printResult(io, command, {
        json: () => sessionJson(session),
        text: () => sessionDetails(session),
      });
    });

  sessions
    .command("list")
    .description("list sessions, most recent activity first")
    .addOption(scopeOption("only sessions whose scope holds all these entries"))
    .option("--include-inactive", "include ended and expired sessions")
    .addHelpText(
      "after",
      examples("sessions list --scope user_id=123", "sessions list --include-inactive --json"),
    )
    .action(
      async (
        options: { scope?: Record<string, string>; includeInactive?: boolean },
        command: Command,
      ) => {
        await using client = sessionsClient(command, io);
        const found = await client.listSessions(
          defined({ scope: options.scope, includeInactive: options.includeInactive }),
        );
        printResult(io, command, {
          json: () => found.map(sessionJson),
          text: () => sessionsTable(found),
        });
      },
    );

  sessions
    .command("end")
    .description("end a session (repeats keep the first end time) and print it")
    .argument("<id>", "the session's id")
    .addHelpText("after", examples("sessions end 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b"))
    .action(async (id: string, _options: unknown, command: Command) => {
      await using client = sessionsClient(command, io);
      const session = await client.endSession(id);
      printResult(io, command, {
        json: () => sessionJson(session),
        text: () => sessionDetails(session),
      });
    });

  sessions
    .command("delete")
    .description("delete a session and its events (repeats succeed)")
    .argument("<id>", "the session's id")
    .addHelpText("after", examples("sessions delete 5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b"))
    .action(async (id: string, _options: unknown, command: Command) => {
      await using client = sessionsClient(command, io);
      await client.deleteSession(id);
      printResult(io, command, {
        json: () => ({ id, deleted: true }),
        text: () => `deleted session ${id}\n`,
      });
    });

  return sessions;
}
