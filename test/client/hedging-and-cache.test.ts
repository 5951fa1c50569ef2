// Hedged reads and the read cache, both off by default, against the real services behind a fault
// proxy that counts what reaches the wire.
import { describe, expect, it } from "vitest";
import { Code, MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import { clientTransports } from "../support/client-transports.js";
import { rejection } from "../support/errors.js";
import { useProxiedServices } from "../support/proxied-services.js";

const { sessionsProxy, memoryProxy } = useProxiedServices();

describe.each(clientTransports)("hedged reads over %s", (_, transport) => {
  const client = (delayMs = 100) =>
    new SessionsServiceClient({
      ...transport,
      baseUrl: sessionsProxy().url,
      hedging: { delayMs },
      env: {},
    });

  it("send a slow read again after the delay, and the first answer wins", async () => {
    await using sessions = client();
    const session = await sessions.createSession({ title: "hedged" });
    sessionsProxy().failFirst([{ kind: "stall" }], "GetSession");
    const started = performance.now();
    expect((await sessions.getSession(session.id)).title).toBe("hedged");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(sessionsProxy().attemptsFor("GetSession")).toHaveLength(2);
  });

  it("send a fast read once, and never hedge a write", async () => {
    // A delay no read here comes near, even with the other test files loading the machine.
    await using sessions = client(1_000);
    const session = await sessions.createSession();
    sessionsProxy().failFirst(
      [{ kind: "delay", ms: 1_200, fault: { kind: "forward" } }],
      "EndSession",
    );
    await sessions.getSession(session.id);
    await sessions.endSession(session.id);
    expect(sessionsProxy().attemptsFor("GetSession")).toHaveLength(1);
    expect(sessionsProxy().attemptsFor("EndSession")).toHaveLength(1);
  });

  it("end the race at a definitive answer from either attempt", async () => {
    await using sessions = client();
    sessionsProxy().failFirst([{ kind: "stall" }], "GetSession");
    await rejection(sessions.getSession("00000000-0000-4000-8000-000000000000"), Code.NotFound);
    expect(sessionsProxy().attemptsFor("GetSession")).toHaveLength(2);
  });
});

describe("the read cache", () => {
  const client = () =>
    new MemoryServiceClient({ baseUrl: memoryProxy().url, readCache: { ttlMs: 60_000 }, env: {} });

  it("answers a repeated read from the cache, with a copy the caller may change", async () => {
    await using memory = client();
    const created = await memory.createMemory({ scope: { user_id: "cache" }, fact: "tea" });
    const first = await memory.getMemory(created.id);
    first.fact = "changed by the caller";
    const second = await memory.getMemory(created.id);
    expect(second.fact).toBe("tea");
    expect(memoryProxy().attemptsFor("GetMemory")).toHaveLength(1);
  });

  it("drops a cached read when this client writes to the same resource, and lists on any write", async () => {
    await using memory = client();
    const scope = { user_id: "cache-writes" };
    const a = await memory.createMemory({ scope, fact: "a" });
    const b = await memory.createMemory({ scope, fact: "b" });
    await memory.getMemory(a.id);
    await memory.getMemory(b.id);
    expect(await memory.listMemories({ scope })).toHaveLength(2);
    await memory.updateMemory(a.id, { fact: "a2" });
    expect((await memory.getMemory(a.id)).fact).toBe("a2");
    await memory.getMemory(b.id);
    expect(memoryProxy().attemptsFor("GetMemory")).toHaveLength(3);
    await memory.createMemory({ scope, fact: "c" });
    expect(await memory.listMemories({ scope })).toHaveLength(3);
    expect(memoryProxy().attemptsFor("ListMemories")).toHaveLength(2);
  });

  it("expires entries after the TTL", async () => {
    await using memory = new MemoryServiceClient({
      baseUrl: memoryProxy().url,
      readCache: { ttlMs: 50 },
      env: {},
    });
    const created = await memory.createMemory({ scope: { user_id: "cache-ttl" }, fact: "x" });
    await memory.getMemory(created.id);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await memory.getMemory(created.id);
    expect(memoryProxy().attemptsFor("GetMemory")).toHaveLength(2);
  });

  it("is off by default", async () => {
    await using memory = new MemoryServiceClient({ baseUrl: memoryProxy().url, env: {} });
    const created = await memory.createMemory({ scope: { user_id: "cache-off" }, fact: "x" });
    await memory.getMemory(created.id);
    await memory.getMemory(created.id);
    expect(memoryProxy().attemptsFor("GetMemory")).toHaveLength(2);
  });
});
