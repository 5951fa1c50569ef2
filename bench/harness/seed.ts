/**
 * What the clients call on each server. On the reference server, the records the calls address
 * are created through the facade before any window: one session for CreateEvent, one memory with
 * a 1536-float embedding for GetMemory. The canned servers answer for any id.
 */
import { MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import type { ServerName } from "./catalog.js";
import { cannedIds, memoryContent, type Target } from "./workload.js";

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
  return { ...urls, sessionId: session.id, memoryId: created.id };
}
