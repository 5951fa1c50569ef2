// API keys between the facade and the reference services, over every transport: a key from the
// options or the environment lets calls in; a missing or wrong one is UNAUTHENTICATED at once,
// never retried, writing nothing; and no key, right or wrong, shows up in an error, an event or
// the server's output.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallEvent,
  type ClientOptions,
  Code,
  ConnectError,
  type GiveUpEvent,
  MemoryServiceClient,
  type RetryEvent,
  SessionsServiceClient,
} from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { freePorts, type ServiceProcess, serviceProcess } from "../support/service-process.js";

const keys = ["sessions-key-5f1d0c7e", "second-key-9a8b7c6d"] as const;
const wrongKey = "guessed-key-0c0ffee0";

let services: RunningServices;

beforeAll(async () => {
  services = await startServices({ apiKeys: keys });
});

afterAll(async () => {
  await services?.close();
});

/** Every string a caller could see or log about a call: errors with their causes, and events. */
function everythingSaid(error: unknown, events: unknown[]): string {
  const said: string[] = [];
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    const connect = e instanceof ConnectError ? e : undefined;
    said.push(String(e), (e as Error).stack ?? "", JSON.stringify(e));
    if (connect) said.push(JSON.stringify([...connect.metadata]));
    e = (e as { cause?: unknown }).cause;
  }
  for (const event of events)
    said.push(JSON.stringify(event, (_k, v) => (v instanceof Error ? String(v) : v)));
  return said.join("\n");
}

describe.each(clientTransports)("API keys over %s", (_name, transport) => {
  /** A Sessions client of `options`, recording every event it emits. */
  function sessionsClient(options: ClientOptions) {
    const events: (CallEvent | RetryEvent | GiveUpEvent)[] = [];
    const retries: RetryEvent[] = [];
    const client = new SessionsServiceClient({
      ...transport,
      baseUrl: services.sessionsUrl,
      retryDelayMs: 1,
      onCall: (e) => events.push(e),
      onRetry: (e) => {
        retries.push(e);
        events.push(e);
      },
      onGiveUp: (e) => events.push(e),
      env: {},
      ...options,
    });
    return { client, events, retries };
  }

  it.each([
    ["no key", {}],
    ["a wrong key", { apiKey: wrongKey }],
    ["a wrong bearer token", { bearerToken: wrongKey }],
  ])(
    "refuses %s with UNAUTHENTICATED, once, writing nothing, naming no key",
    async (_what, options) => {
      const scope = { user_id: crypto.randomUUID() };
      const { client, events, retries } = sessionsClient({ maxRetries: 5, ...options });
      try {
        const error = ConnectError.from(await client.createSession({ scope }).catch((e) => e));
        expect(error.code).toBe(Code.Unauthenticated);
        expect(retries).toEqual([]);
        // The call's own event: one attempt.
        expect(events).toContainEqual(
          expect.objectContaining({ code: Code.Unauthenticated, attempts: 1 }),
        );
        const said = everythingSaid(error, events);
        for (const secret of [...keys, wrongKey]) expect(said).not.toContain(secret);
      } finally {
        await client.close();
      }
      const { client: allowed } = sessionsClient({ apiKey: keys[0] });
      try {
        expect(await allowed.listSessions({ scope })).toEqual([]);
      } finally {
        await allowed.close();
      }
    },
  );

  it("lets in a key from the options, as x-api-key or as a bearer token", async () => {
    for (const options of [{ apiKey: keys[0] }, { bearerToken: keys[1] }]) {
      const { client } = sessionsClient(options);
      try {
        const session = await client.createSession({ scope: { user_id: "u" } });
        expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await client.close();
      }
    }
  });

  it("takes SESSIONS_SERVICE_API_KEY and MEMORY_SERVICE_API_KEY (or *_BEARER_TOKEN) from the environment", async () => {
    const env = { SESSIONS_SERVICE_API_KEY: keys[0], MEMORY_SERVICE_API_KEY: keys[1] };
    await using sessions = new SessionsServiceClient({
      ...transport,
      baseUrl: services.sessionsUrl,
      env,
    });
    await using memory = new MemoryServiceClient({
      ...transport,
      baseUrl: services.memoryUrl,
      env,
    });
    await sessions.createSession({ scope: { user_id: "env" } });
    const memories = await memory.listMemories({ scope: { user_id: "env" } });
    expect(memories).toEqual([]);
    await using bearer = new SessionsServiceClient({
      ...transport,
      baseUrl: services.sessionsUrl,
      env: { SESSIONS_SERVICE_BEARER_TOKEN: keys[1] },
    });
    await bearer.createSession({ scope: { user_id: "env" } });
    // Each service's variable is its own: the Memory key is not sent to Sessions.
    await using crossed = new MemoryServiceClient({
      ...transport,
      baseUrl: services.memoryUrl,
      env: { SESSIONS_SERVICE_API_KEY: keys[0] },
      maxRetries: 0,
    });
    await expect(crossed.listMemories({ scope: { user_id: "env" } })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
  });
});

describe("contextiq serve with CONTEXTIQ_API_KEYS", () => {
  let dataDir: string;
  let child: ServiceProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "contextiq-auth-"));
    const [sessionsPort, memoryPort] = (await freePorts(2)) as [number, number];
    child = serviceProcess({
      sessionsPort,
      memoryPort,
      dataDir,
      env: { CONTEXTIQ_API_KEYS: keys.join(",") },
    });
    await child.start();
  });

  afterAll(async () => {
    await child?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("never prints a key, accepted or refused", { timeout: 15_000 }, async () => {
    for (const apiKey of [keys[0], wrongKey]) {
      await using client = new SessionsServiceClient({
        baseUrl: child.sessionsUrl,
        apiKey,
        maxRetries: 0,
        env: {},
      });
      await client.createSession({ scope: { user_id: "log" } }).catch(() => undefined);
    }
    await child.stop();
    const output = child.output();
    expect(output).toMatch(/auth: API key required \(2 configured\)/);
    for (const secret of [...keys, wrongKey]) expect(output).not.toContain(secret);
  });
});
