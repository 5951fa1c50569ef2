import { Code, ConnectError } from "@connectrpc/connect";
import type { Command } from "commander";
import type { ClientOptions } from "../client/client-options.js";
import { MemoryServiceClient } from "../client/memory-client.js";
import { SessionsServiceClient } from "../client/sessions-client.js";
import { globalOptions } from "./global-options.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

/**
 * The client options the command line asks for. Only options that were given are passed: the
 * clients read the rest from the environment themselves (`SESSIONS_SERVICE_URL`, ...).
 */
export function clientOptions(
  command: Command,
  io: CliIo,
  url: string | undefined = globalOptions(command).url,
): ClientOptions {
  const { transport, timeout, apiKey } = globalOptions(command);
  return {
    env: io.env,
    ...(url === undefined ? {} : { baseUrl: url }),
    ...(transport === undefined ? {} : { transport }),
    ...(timeout === undefined ? {} : { timeoutMs: Math.round(timeout * 1000) }),
    ...(apiKey === undefined ? {} : { apiKey }),
  };
}

/** A Sessions client for `command`; close it (`await using`) so the process can exit. */
export function sessionsClient(command: Command, io: CliIo, url?: string): SessionsServiceClient {
  return configured(() => new SessionsServiceClient(clientOptions(command, io, url)));
}

/** A Memory client for `command`; close it (`await using`) so the process can exit. */
export function memoryClient(command: Command, io: CliIo, url?: string): MemoryServiceClient {
  return configured(() => new MemoryServiceClient(clientOptions(command, io, url)));
}

/**
 * A client rejects a bad setting (a malformed *_SERVICE_TIMEOUT, say) as INVALID_ARGUMENT when it
 * is made. Nothing was sent, so it is the caller's usage error, not the service's answer (exit 3).
 */
function configured<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.InvalidArgument) {
      throw new UsageError(error.rawMessage);
    }
    throw error;
  }
}
