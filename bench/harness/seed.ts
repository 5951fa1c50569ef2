/**
 * What the clients call on each server. On the reference server, the records the calls address
 * are created through the facade before any window: one session for CreateEvent, one memory with
 * a 1536-float embedding for GetMemory, and the page of memories that ListMemories and
 * SearchMemories go through. The canned servers answer for any id.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import type { ServerName } from "./catalog.js";
import { cannedIds, type Target } from "./workload.js";
import { memoryContent, pageMemories, pageScope, pageSize } from "./workload-memories.js";

/** The target of the clients on `server`, once it listens at `urls`. */
export function targetOn(
  server: ServerName,
  urls: { sessionsUrl: string; memoryUrl: string },
): Promise<Target> {
  const { sessionsUrl, memoryUrl } = urls;
  if (server === "reference") return seedReference({ sessionsUrl, memoryUrl });
  return Promise.resolve({ sessionsUrl, memoryUrl, ...cannedIds });
}

/** The longest inactivity a session may have: it must not expire during a run. */
const sessionTtlSeconds = 86_400;

async function seedReference(urls: { sessionsUrl: string; memoryUrl: string }): Promise<Target> {
  await using sessions = new SessionsServiceClient({ baseUrl: urls.sessionsUrl, env: {} });
  await using memory = new MemoryServiceClient({ baseUrl: urls.memoryUrl, env: {} });
  const session = await sessions.createSession({
    scope: memoryContent.scope,
    title: "benchmark",
    ttlSeconds: sessionTtlSeconds,
  });
  const created = await memory.createMemory({
    ...memoryContent,
    sourceType: "extracted",
    sourceId: session.id,
  });
  // One at a time, so that they are listed in the same order as the canned servers list them.
  for (const content of pageMemories) await memory.createMemory(content);
  await expectOnePage(urls.memoryUrl);
  return { ...urls, sessionId: session.id, memoryId: created.id };
}

/**
 * Throws unless the scope's first page holds every memory of it, with no token for another: else
 * the facade would make two calls per ListMemories and the other variants would see fewer items.
 * The reference server ends a page early once its items pass 2.5 MiB as JSON.
 */
async function expectOnePage(baseUrl: string): Promise<void> {
  const sessionManager = new Http2SessionManager(baseUrl);
  try {
    const client = createClient(MemoryService, createGrpcTransport({ baseUrl, sessionManager }));
    const page = await client.listMemories({ scope: pageScope, pageSize });
    if (page.memories.length !== pageMemories.length || page.nextPageToken !== "") {
      throw new Error(
        `the reference server listed ${page.memories.length} of ${pageMemories.length} memories` +
          ` in its first page${page.nextPageToken === "" ? "" : ", with a token for more"}`,
      );
    }
  } finally {
    sessionManager.abort();
  }
}
