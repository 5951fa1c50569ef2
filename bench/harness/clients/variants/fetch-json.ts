/**
 * A hand-written Connect unary client: global fetch (undici, keep-alive HTTP/1.1), a body from
 * JSON.stringify, the answer through JSON.parse. The floor the facade's JSON path is held to.
 */
import { randomUUID } from "node:crypto";
import { callPaths, eventContent } from "../../workload.js";
import { type CallerFactory, expectEvent, expectMemory } from "../caller.js";

const headers = { "content-type": "application/json", "connect-protocol-version": "1" };

/** POSTs `body` as JSON and returns the parsed answer; throws on any status but 200. */
async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export const fetchJson: CallerFactory = async (target) => {
  const createEventUrl = `${target.sessionsUrl}${callPaths.createEvent}`;
  const getMemoryUrl = `${target.memoryUrl}${callPaths.getMemory}`;
  return {
    createEvent: async () => {
      const answer = (await postJson(createEventUrl, {
        sessionId: target.sessionId,
        ...eventContent,
        requestId: randomUUID(),
      })) as { event?: { id: string } };
      expectEvent(answer.event);
    },
    getMemory: async () => {
      const answer = (await postJson(getMemoryUrl, { id: target.memoryId })) as {
        memory?: { embedding: number[] };
      };
      expectMemory(answer.memory);
    },
    close: async () => {},
  };
};
