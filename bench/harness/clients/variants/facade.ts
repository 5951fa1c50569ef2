/**
 * The public facade, SessionsServiceClient and MemoryServiceClient, with default options (retries,
 * circuit breaker, observability, deadlines): what a user of the package pays per call.
 */
import {
  type ClientOptions,
  MemoryServiceClient,
  SessionsServiceClient,
} from "../../../../src/index.js";
import { eventContent } from "../../workload.js";
import { type CallerFactory, expectEvent, expectMemory } from "../caller.js";

/** The facade on the transport `options` choose. */
export function facade(options: Pick<ClientOptions, "transport" | "httpVersion">): CallerFactory {
  return async (target) => {
    // An empty env: the defaults, whatever SESSIONS_SERVICE_* this shell happens to set.
    const common = { ...options, env: {} };
    const sessions = new SessionsServiceClient({ ...common, baseUrl: target.sessionsUrl });
    const memory = new MemoryServiceClient({ ...common, baseUrl: target.memoryUrl });
    return {
      createEvent: async () =>
        expectEvent(await sessions.createEvent({ sessionId: target.sessionId, ...eventContent })),
      getMemory: async () => expectMemory(await memory.getMemory(target.memoryId)),
      close: async () => {
        await Promise.all([sessions.close(), memory.close()]);
      },
    };
  };
}
