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
import {
  memoryContent,
  pageScope,
  pageSize,
  queryEmbedding,
  searchLimit,
} from "../../workload-memories.js";
import {
  type CallerFactory,
  expectEvent,
  expectMemory,
  expectPage,
  expectResults,
} from "../caller.js";

/** The facade on the transport `options` choose. */
export function facade(options: Pick<ClientOptions, "transport" | "httpVersion">): CallerFactory {
  return async (target) => {
    // An empty env: the defaults, whatever SESSIONS_SERVICE_* this shell happens to set.
    const common = { ...options, env: {} };
    const sessions = new SessionsServiceClient({ ...common, baseUrl: target.sessionsUrl });
    const memory = new MemoryServiceClient({ ...common, baseUrl: target.memoryUrl });
    // As the memory-generation worker creates a memory; the facade adds a fresh request id.
    const newMemory = {
      ...memoryContent,
      sourceType: "extracted" as const,
      sourceId: target.sessionId,
    };
    const filter = { scope: pageScope, pageSize };
    const search = { queryEmbedding, scope: pageScope, limit: searchLimit };
    return {
      createEvent: async () =>
        expectEvent(await sessions.createEvent({ sessionId: target.sessionId, ...eventContent })),
      getMemory: async () => expectMemory(await memory.getMemory(target.memoryId)),
      createMemory: async () => expectMemory(await memory.createMemory(newMemory)),
      // All pages: the scope holds one.
      listMemories: async () => expectPage(await memory.listMemories(filter)),
      searchMemories: async () => expectResults(await memory.searchMemories(search)),
      close: async () => {
        await Promise.all([sessions.close(), memory.close()]);
      },
    };
  };
}
