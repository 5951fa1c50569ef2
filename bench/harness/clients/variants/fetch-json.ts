/**
 * A hand-written Connect unary client: global fetch (undici, keep-alive HTTP/1.1), a body from
 * JSON.stringify, the answer through JSON.parse. The floor the facade's JSON path is held to.
 */
import { randomUUID } from "node:crypto";
import { callPaths, eventContent, type Target } from "../../workload.js";
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

const headers = { "content-type": "application/json", "connect-protocol-version": "1" };

/** What the checks read of a memory in proto3 JSON. */
interface MemoryJson {
  embedding: number[];
}

/** POSTs `body` as JSON and returns the parsed answer; throws on any status but 200. */
async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export const fetchJson: CallerFactory = async (target) => {
  const url = (call: keyof typeof callPaths) =>
    `${call === "createEvent" ? target.sessionsUrl : target.memoryUrl}${callPaths[call]}`;
  const urls = {
    createEvent: url("createEvent"),
    getMemory: url("getMemory"),
    createMemory: url("createMemory"),
    listMemories: url("listMemories"),
    searchMemories: url("searchMemories"),
  };
  return {
    createEvent: async () => {
      const answer = (await postJson(urls.createEvent, {
        sessionId: target.sessionId,
        ...eventContent,
        requestId: randomUUID(),
      })) as { event?: { id: string } };
      expectEvent(answer.event);
    },
    getMemory: async () => {
      const answer = (await postJson(urls.getMemory, { id: target.memoryId })) as {
        memory?: MemoryJson;
      };
      expectMemory(answer.memory);
    },
    createMemory: async () => {
      const answer = (await postJson(urls.createMemory, newMemory(target))) as {
        memory?: MemoryJson;
      };
      expectMemory(answer.memory);
    },
    listMemories: async () => {
      const answer = (await postJson(urls.listMemories, { scope: pageScope, pageSize })) as {
        memories?: MemoryJson[];
      };
      expectPage(answer.memories);
    },
    searchMemories: async () => {
      const answer = (await postJson(urls.searchMemories, {
        queryEmbedding,
        scope: pageScope,
        limit: searchLimit,
      })) as { results?: { memory?: MemoryJson }[] };
      expectResults(answer.results);
    },
    close: async () => {},
  };
};

/** A CreateMemory request in proto3 JSON, as the memory-generation worker would send it. */
function newMemory(target: Target) {
  return {
    ...memoryContent,
    sourceType: "SOURCE_TYPE_EXTRACTED",
    sourceId: target.sessionId,
    requestId: randomUUID(),
  };
}
