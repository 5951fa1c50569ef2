// `contextiq workers generate --follow`, run as a child process against real services: it stores
// facts while the session goes on and prints, once it ends, what a one-shot run prints; a deleted
// session and Ctrl-C end it with their exit codes.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryServiceClient } from "../../src/client/memory-client.js";
import { SessionsServiceClient } from "../../src/client/sessions-client.js";
import { startCli } from "./cli-process.js";
import { json, useServicesForCli } from "./run-cli.js";

const { cli, services } = useServicesForCli();

interface Printed {
  sessionId: string;
  eventsRead: number;
  factsExtracted: number;
  memoriesCreated: number;
  memories: { id: string; fact: string }[];
}

/** Resolves once the scope holds `count` memories; the worker's progress goes nowhere when piped. */
async function memoriesStored(memory: MemoryServiceClient, userId: string, count: number) {
  const deadline = Date.now() + 20_000;
  while ((await memory.listMemories({ scope: { user_id: userId } })).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} memories after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("contextiq workers generate --follow", { timeout: 30_000 }, () => {
  it("stores facts as the session goes on, and prints what a one-shot run prints once it ends", async () => {
    const userId = randomUUID();
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    await using memory = new MemoryServiceClient({ baseUrl: services().memoryUrl });
    const sessionId = (await sessions.createSession({ scope: { user_id: userId } })).id;
    const say = (content: string) =>
      sessions.createEvent({ sessionId, eventType: "message", data: { content } });
    await say("I prefer tea.");
    const follow = startCli(
      services(),
      "workers",
      "generate",
      "--session",
      sessionId,
      "--follow",
      "--json",
    );

    await memoriesStored(memory, userId, 1);
    await say("I live in Lyon. I prefer tea.");
    await memoriesStored(memory, userId, 2);
    await sessions.endSession(sessionId);

    expect(await follow.exited()).toEqual({ code: 0, signal: null });
    expect(follow.stderr()).toBe("");
    const followed = JSON.parse(follow.stdout()) as Printed;
    expect(followed).toMatchObject({
      sessionId,
      eventsRead: 2,
      factsExtracted: 2,
      memoriesCreated: 2,
    });
    expect(followed.memories.map((m) => m.fact)).toEqual([
      "User prefers tea",
      "User lives in Lyon",
    ]);
    const once = json<Printed>(await cli("workers", "generate", "--session", sessionId, "--json"));
    expect({ ...once, memoriesCreated: 2 }).toEqual(followed);
    expect(once.memoriesCreated).toBe(0);
  });

  it("exits with 4 and says why when the session is deleted while followed", async () => {
    const userId = randomUUID();
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    await using memory = new MemoryServiceClient({ baseUrl: services().memoryUrl });
    const sessionId = (await sessions.createSession({ scope: { user_id: userId } })).id;
    await sessions.createEvent({
      sessionId,
      eventType: "message",
      data: { content: "I prefer tea" },
    });
    const follow = startCli(services(), "workers", "generate", "--session", sessionId, "--follow");
    await memoriesStored(memory, userId, 1);

    await sessions.deleteSession(sessionId);

    expect(await follow.exited()).toEqual({ code: 4, signal: null });
    expect(follow.stdout()).toBe("");
    expect(follow.stderr()).toBe(
      `error: session ${sessionId} was deleted while the worker followed it; the memories it created before stay (not_found)\n`,
    );
  });

  it("stops at once with 130 on Ctrl-C, printing no error", async () => {
    const userId = randomUUID();
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    await using memory = new MemoryServiceClient({ baseUrl: services().memoryUrl });
    const sessionId = (await sessions.createSession({ scope: { user_id: userId } })).id;
    await sessions.createEvent({
      sessionId,
      eventType: "message",
      data: { content: "I prefer tea" },
    });
    const follow = startCli(services(), "workers", "generate", "--session", sessionId, "--follow");
    await memoriesStored(memory, userId, 1);

    const sent = performance.now();
    follow.kill("SIGINT");

    expect(await follow.exited()).toEqual({ code: 130, signal: null });
    expect(performance.now() - sent).toBeLessThan(2_000);
    expect(follow.stdout()).toBe("");
    expect(follow.stderr()).toBe("");
  });
});
