/**
 * Client child process: one variant, connected once to one server, running the windows the
 * harness asks for over IPC, one at a time. It exits when told to close or when the harness goes.
 */
import type { VariantName } from "../catalog.js";
import { type Caller, VariantUnavailableError } from "./caller.js";
import { measureWindow } from "./closed-loop.js";
import type { ClientCommand, ClientReply } from "./messages.js";
import { loadCallerFactory } from "./variants/index.js";
import { warmUntilCpuSpent } from "./warm-loop.js";

// The variant is known from the start: its libraries load while the harness starts the server.
const factory = loadCallerFactory[process.argv[2] as VariantName]();
factory.catch(() => {}); // reported on "init"
let caller: Caller | undefined;

async function handle(command: ClientCommand): Promise<ClientReply> {
  switch (command.type) {
    case "init": {
      try {
        caller = await (await factory)(command.target);
        return { type: "ready" };
      } catch (error) {
        if (error instanceof VariantUnavailableError) {
          return { type: "unavailable", reason: error.message };
        }
        throw error;
      }
    }
    case "warm": {
      if (caller === undefined) throw new Error("warm before init");
      const { calls, ...spec } = command;
      const result = await warmUntilCpuSpent(
        calls.map(({ call, concurrency }) => ({ call: (caller as Caller)[call], concurrency })),
        spec,
      );
      globalThis.gc?.();
      return { type: "warmed", result };
    }
    case "run": {
      if (caller === undefined) throw new Error("run before init");
      const { call, ...spec } = command;
      const result = await measureWindow(caller[call], spec);
      // Collected now, before answering: the garbage of this window is neither collected on the
      // other core during the next variant's window nor inside this variant's next one.
      globalThis.gc?.();
      return { type: "result", result };
    }
    case "close": {
      await caller?.close();
      return { type: "closed" };
    }
  }
}

function send(reply: ClientReply, then?: () => void): void {
  process.send?.(reply, undefined, {}, () => then?.());
}

process.on("message", (command: ClientCommand) => {
  handle(command).then(
    (reply) => send(reply, reply.type === "closed" ? () => process.exit(0) : undefined),
    (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      // A failed window may leave calls in flight: this process is done for.
      send({ type: "failed", error: text }, () => process.exit(1));
    },
  );
});
process.on("disconnect", () => process.exit(0));
