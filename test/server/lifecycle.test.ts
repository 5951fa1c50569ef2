// The reference services as a user runs them: data that survives a restart, API keys, and a
// client entry point that loads no server code.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { startServices } from "../../src/server/index.js";
import { rejection } from "../support/errors.js";

const run = promisify(execFile);

describe("a data folder", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("keeps sessions, memories, request ids and page tokens across a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "contextiq-"));
    dirs.push(dataDir);
    const scope = { user_id: randomUUID() };
    const requestId = randomUUID();

    const first = await startServices({ dataDir });
    const sessions = createClient(
      SessionsService,
      createConnectTransport({ baseUrl: first.sessionsUrl, httpVersion: "1.1" }),
    );
    const memory = createClient(
      MemoryService,
      createConnectTransport({ baseUrl: first.memoryUrl, httpVersion: "1.1" }),
    );
    const { session } = await sessions.createSession({ scope, title: "kept", requestId });
    await sessions.createSession({ scope, title: "second" });
    const { memory: fact } = await memory.createMemory({ scope, fact: "kept too" });
    const { nextPageToken } = await sessions.listSessions({ scope, pageSize: 1 });
    await first.close();

    await using second = await startServices({ dataDir });
    const again = createClient(
      SessionsService,
      createConnectTransport({ baseUrl: second.sessionsUrl, httpVersion: "1.1" }),
    );
    const memoryAgain = createClient(
      MemoryService,
      createConnectTransport({ baseUrl: second.memoryUrl, httpVersion: "1.1" }),
    );
    expect((await again.getSession({ id: session?.id ?? "" })).session?.title).toBe("kept");
    expect((await memoryAgain.getMemory({ id: fact?.id ?? "" })).memory?.fact).toBe("kept too");
    const replay = await again.createSession({ scope, title: "kept", requestId });
    expect(replay.session?.id).toBe(session?.id);
    const page = await again.listSessions({ scope, pageSize: 1, pageToken: nextPageToken });
    expect(page.sessions.map((s) => s.title)).toEqual(["kept"]);
  });
});

describe("API keys", async () => {
  const services = await startServices({ apiKeys: ["key-one", "key-two"] });
  afterAll(() => services.close());
  const protocols = [
    ["Connect", createConnectTransport({ baseUrl: services.sessionsUrl, httpVersion: "1.1" })],
    ["gRPC", createGrpcTransport({ baseUrl: services.sessionsUrl })],
  ] as const;

  describe.each(protocols)("over %s", (_, transport) => {
    const sessions = createClient(SessionsService, transport);

    it("refuses a call without a key, or with an unknown one, as UNAUTHENTICATED", async () => {
      const error = await rejection(sessions.createSession({}), Code.Unauthenticated);
      expect(error.rawMessage).toMatch(/authorization|x-api-key/i);
      await rejection(
        sessions.createSession({}, { headers: { authorization: "Bearer key-three" } }),
        Code.Unauthenticated,
      );
    });

    it("accepts a configured key as a bearer token or as x-api-key", async () => {
      const bearer = await sessions.createSession(
        { title: "a" },
        { headers: { authorization: "Bearer key-two" } },
      );
      expect(bearer.session?.title).toBe("a");
      const apiKey = await sessions.createSession(
        { title: "b" },
        { headers: { "x-api-key": "key-one" } },
      );
      expect(apiKey.session?.title).toBe("b");
    });
  });

  it("leaves the health check open", async () => {
    const response = await fetch(`${services.sessionsUrl}/health`);
    expect(response.status).toBe(200);
  });
});

describe("the client entry point", () => {
  it("loads the SQLite native module only when a SQLite store opens", async () => {
    const probe = `
      const { createRequire } = await import("node:module");
      const loaded = () => ({
        cjs: Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("better-sqlite3")).length,
        native: process.report.getReport().sharedObjects.filter((o) => o.includes("better_sqlite3")).length,
      });
      await import("./src/index.ts");
      console.log(JSON.stringify(loaded()));
      const { startServices } = await import("./src/server/index.ts");
      console.log(JSON.stringify(loaded()));
      const services = await startServices();
      console.log(JSON.stringify(loaded()));
      await services.close();
    `;
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", probe],
      { cwd: join(import.meta.dirname, "../..") },
    );
    const [client = "", server = "", started = ""] = stdout.trim().split("\n");
    expect(JSON.parse(client)).toEqual({ cjs: 0, native: 0 });
    // Importing the server entry point does not either: a PostgreSQL-only install lacks it.
    expect(JSON.parse(server)).toEqual({ cjs: 0, native: 0 });
    // The probe does see the module once a SQLite store is open.
    expect(JSON.parse(started).cjs).toBeGreaterThan(0);
    expect(JSON.parse(started).native).toBeGreaterThan(0);
  });
});
