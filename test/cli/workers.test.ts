// `contextiq workers`, run as a child process against real services: each worker's result as
// JSON, and no progress output when stderr is a pipe.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryServiceClient } from "../../src/client/memory-client.js";
import { SessionsServiceClient } from "../../src/client/sessions-client.js";
import { json, useServicesForCli } from "./run-cli.js";

const { cli, services } = useServicesForCli();

describe("contextiq workers", { timeout: 30_000 }, () => {
  it("generates memories from a session's events", async () => {
    const userId = randomUUID();
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    const session = await sessions.createSession({ scope: { user_id: userId } });
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { content: "I prefer tea. I live in Lyon." },
    });

    const run = await cli("workers", "generate", "--session", session.id, "--json");
    expect(run.stderr).toBe("");
    const result = json<{ memories: { fact: string; scope: unknown }[] }>(run);
    expect(result).toMatchObject({
      sessionId: session.id,
      eventsRead: 1,
      factsExtracted: 2,
      memoriesCreated: 2,
    });
    expect(result.memories.map((m) => m.fact).sort()).toEqual([
      "User lives in Lyon",
      "User prefers tea",
    ]);
    expect(result.memories[0]?.scope).toEqual({ user_id: userId });
  });

  it("consolidates the overlapping memories of a scope", async () => {
    const userId = randomUUID();
    await using memory = new MemoryServiceClient({ baseUrl: services().memoryUrl });
    for (const fact of ["User prefers green tea", "User prefers green tea in the morning"]) {
      await memory.createMemory({ scope: { user_id: userId }, fact, topic: "preferences" });
    }

    const run = await cli("workers", "consolidate", "--scope", `user_id=${userId}`, "--json");
    expect(run.stderr).toBe("");
    const result = json<{ consolidated: { sourceType: string }[] }>(run);
    expect(result).toMatchObject({
      scope: { user_id: userId },
      memoriesRead: 2,
      groups: 1,
      originalsDeleted: 2,
    });
    expect(result.consolidated).toEqual([
      expect.objectContaining({ sourceType: "SOURCE_TYPE_CONSOLIDATED" }),
    ]);
  });
});
