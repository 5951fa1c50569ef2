// Starts the reference services once per test file, with a clock the tests can move forward, and
// hands out clients of both services over a given transport.
import { type Client, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll } from "vitest";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import type { TestStore } from "./stores.js";
import type { TestTransport } from "./transports.js";

/** The services of this test file and a clock for them that only moves forward. */
export interface ServicesFixture {
  readonly services: RunningServices;
  /** Moves the services' clock forward. */
  advance(ms: number): void;
}

/**
 * Starts both services before the file's (or the describe block's) tests and closes them after,
 * on `store` (fresh storage, removed afterwards) or in-memory SQLite.
 */
export function useServices(
  options: { apiKeys?: string[]; store?: TestStore } = {},
): () => ServicesFixture {
  let fixture: ServicesFixture | undefined;
  let drop = async () => {};
  beforeAll(async () => {
    let offset = 0;
    const { store, ...rest } = options;
    const provisioned = await store?.provision();
    if (provisioned) drop = provisioned.drop;
    const services = await startServices({
      ...rest,
      ...provisioned?.options,
      now: () => Date.now() + offset,
    });
    fixture = {
      services,
      advance: (ms) => {
        offset += ms;
      },
    };
  });
  afterAll(async () => {
    await fixture?.services.close();
    await drop();
  });
  return () => {
    if (!fixture) throw new Error("services are not started yet");
    return fixture;
  };
}

/** Clients of both services over `transport`, made before the tests of a describe block. */
export function useClients(
  transport: TestTransport,
  services: () => ServicesFixture,
): () => { sessions: Client<typeof SessionsService>; memory: Client<typeof MemoryService> } {
  let clients:
    | { sessions: Client<typeof SessionsService>; memory: Client<typeof MemoryService> }
    | undefined;
  const closers: (() => void)[] = [];
  beforeAll(() => {
    const { sessionsUrl, memoryUrl } = services().services;
    const sessions = transport.create(sessionsUrl);
    const memory = transport.create(memoryUrl);
    closers.push(sessions.close, memory.close);
    clients = {
      sessions: createClient(SessionsService, sessions.transport),
      memory: createClient(MemoryService, memory.transport),
    };
  });
  afterAll(() => {
    for (const close of closers) close();
  });
  return () => {
    if (!clients) throw new Error("clients are not made yet");
    return clients;
  };
}
