import { Command } from "commander";
import { demoCommand } from "./commands/demo.js";
import { eventsCommand } from "./commands/events.js";
import { memoriesCommand } from "./commands/memories.js";
import { serveCommand } from "./commands/serve.js";
import { sessionsCommand } from "./commands/sessions.js";
import { workersCommand } from "./commands/workers.js";
import { exitCodesHelp } from "./exit-codes.js";
import { addGlobalOptions } from "./global-options.js";
import { examples } from "./help.js";
import type { CliIo } from "./io.js";

/**
 * The `contextiq` command, writing to `io` and reading `io.env`. It never exits the process:
 * commander's exits become thrown CommanderErrors, which {@link runCli} turns into exit codes, so
 * tests can run it in-process.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command("contextiq")
    .description(
      "Talk to ContextIQ's Sessions and Memory services, run their workers, or serve them.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => io.stdout.columns ?? 80,
      getErrHelpWidth: () => io.stderr.columns ?? 80,
      // Output goes to the io streams, whose terminal-ness commander cannot see: no colours.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(add --help for usage)");
  addGlobalOptions(program);

  program.addCommand(serveCommand(io));
  program.addCommand(sessionsCommand(io));
  program.addCommand(eventsCommand(io));
  program.addCommand(memoriesCommand(io));
  program.addCommand(workersCommand(io));
  // Above inheritSettings, so that it gets the output, exit and help settings too.
  program.addCommand(demoCommand(io));

  inheritSettings(program);
  program.addHelpText(
    "after",
    `${examples(
      `sessions create --scope user_id=123 --title "Support chat" --json`,
      `events add --session <id> --type message --data '{"content":"I prefer tea"}'`,
      "workers generate --session <id>",
      "memories list --scope user_id=123 --transport grpc",
    )}

Environment: SESSIONS_SERVICE_URL, MEMORY_SERVICE_URL and the other *_SERVICE_* variables of the
clients (transport, timeout, API key, ...) apply when the matching option is not given.
${exitCodesHelp}`,
  );
  return program;
}

/**
 * Commands built with `new Command()` and added with `addCommand()` do not inherit their parent's
 * settings as `.command()` children do; without this a subcommand would call process.exit and
 * write to the real process streams.
 */
function inheritSettings(parent: Command): void {
  for (const child of parent.commands) {
    child.copyInheritedSettings(parent);
    inheritSettings(child);
  }
}
