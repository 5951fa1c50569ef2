// `contextiq memories search`: by --text, embedded as the workers embed facts, or by --embedding,
// exactly one of them; and --exact, which the request carries to the server.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as runInProcess } from "../../src/cli/run.js";
import {
  MemoryGenerationWorker,
  MemoryServiceClient,
  SessionsServiceClient,
} from "../../src/index.js";
import { type RecordingServer, startRecordingServer } from "../support/recording-server.js";
import { json, useServicesForCli } from "./run-cli.js";

const { cli, services } = useServicesForCli();

/** Runs the CLI in this process against `memoryUrl`, as exit-codes.test.ts does. */
async function runHere(memoryUrl: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runInProcess(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: { MEMORY_SERVICE_URL: memoryUrl },
  });
  return { code, stdout, stderr };
}

describe("contextiq memories search", { timeout: 30_000 }, () => {
  it("--text finds the memories the memory-generation worker stored, by the words they share", async () => {
    const scope = { user_id: randomUUID() };
    const { sessionsUrl, memoryUrl } = services();
    await using sessions = new SessionsServiceClient({ baseUrl: sessionsUrl, env: {} });
    await using memory = new MemoryServiceClient({ baseUrl: memoryUrl, env: {} });
    const session = await sessions.createSession({ scope });
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { content: "I live in Lisbon. I prefer Python for scripting. I like dark mode." },
    });
    await new MemoryGenerationWorker({ sessions, memory }).generate(session.id);

    const found = json<{ memory: { fact: string }; similarityScore: number }[]>(
      await cli(
        ...["memories", "search", "--scope", `user_id=${scope.user_id}`],
        ...["--text", "Which editor mode? Dark mode", "--limit", "1", "--json"],
      ),
    );

    expect(found).toHaveLength(1);
    expect(found[0]?.memory.fact).toBe("User likes dark mode");
    expect(found[0]?.similarityScore).toBeGreaterThan(0.3);
  });

  it.each([
    [[], "error: give one of --text (the text to search for) or --embedding (the query embedding)"],
    [
      ["--text", "tea", "--embedding", "0.1,0.2"],
      "error: option '--text <text>' cannot be used with option '--embedding <numbers>'",
    ],
    [["--text", "  "], "error: option '--text <text>' argument '  ' is invalid"],
  ])("%j is a usage error naming the flags, exit 2", async (args, message) => {
    const { code, stdout, stderr } = await runHere(
      "http://127.0.0.1:1",
      ...["memories", "search", "--scope", "user_id=1", ...args],
    );
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toContain(message);
  });

  describe("on the wire", () => {
    let server: RecordingServer;
    beforeAll(async () => {
      server = await startRecordingServer("1.1", () => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"results":[]}',
      }));
    });
    afterAll(() => server.close());

    /** The body of the SearchMemories request a run of `args` sent. */
    async function searchRequest(...args: string[]): Promise<Record<string, unknown>> {
      const before = server.requests.length;
      const run = await runHere(
        server.url,
        ...["memories", "search", "--scope", "user_id=1", "--transport", "json", ...args],
      );
      expect(run.stderr).toBe("");
      const [request, ...more] = server.requests.slice(before);
      expect(more).toEqual([]);
      expect(request?.path).toBe("/contextiq.memory.v1.MemoryService/SearchMemories");
      return JSON.parse(request?.body.toString() ?? "{}") as Record<string, unknown>;
    }

    it("--exact asks for the exact ranking; without it, the request does not", async () => {
      expect(await searchRequest("--embedding", "0.1,0.2", "--exact")).toMatchObject({
        queryEmbedding: [0.1, 0.2],
        exact: true,
      });
      expect(await searchRequest("--embedding", "0.1,0.2")).not.toHaveProperty("exact");
    });

    it("--text sends the text's 1536-value embedding", async () => {
      const body = await searchRequest("--text", "dark mode", "--exact");
      expect(body["queryEmbedding"]).toHaveLength(1536);
      expect(body["exact"]).toBe(true);
    });
  });
});
