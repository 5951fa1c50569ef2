// Valid requests: to seed the records the fuzz aims at, to prove that the harness would notice a
// success, and to check that the services keep serving.
import * as http from "node:http";
import { toBinary, toJsonString } from "@bufbuild/protobuf";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { pathOf } from "./endpoints.js";
import type { Input } from "./input.js";
import { failureOf } from "./outcome.js";
import type { Senders } from "./senders.js";
import type { SeedIds } from "./valid-requests.js";
import { validRequest } from "./valid-requests.js";
import { envelope } from "./wire.js";

/** Calls a method with Connect JSON and returns the answer's JSON; throws on anything but 200. */
export async function callJson(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Creates a session with a one-key scope, as the seed and the final check do; returns its id. */
export async function createSession(sessionsUrl: string, title: string): Promise<string> {
  const created = await callJson(
    sessionsUrl,
    "/contextiq.sessions.v1.SessionsService/CreateSession",
    {
      scope: { user_id: "fuzz" },
      title,
      state: { step: 1 },
    },
  );
  return (created["session"] as { id: string }).id;
}

/** Creates the event and the memory that the valid requests name, next to `sessionId`. */
export async function seedRecords(
  sessionsUrl: string,
  memoryUrl: string,
  sessionId: string,
): Promise<SeedIds> {
  const event = await callJson(sessionsUrl, "/contextiq.sessions.v1.SessionsService/CreateEvent", {
    sessionId,
    eventType: "message",
    data: { content: "hello" },
  });
  const memory = await callJson(memoryUrl, "/contextiq.memory.v1.MemoryService/CreateMemory", {
    scope: { user_id: "fuzz" },
    fact: "User prefers Python",
    sourceType: "SOURCE_TYPE_DIRECT",
  });
  const ended = await callJson(
    sessionsUrl,
    "/contextiq.sessions.v1.SessionsService/CreateSession",
    {
      title: "watched, ended",
    },
  );
  const endedSessionId = (ended["session"] as { id: string }).id;
  await callJson(sessionsUrl, "/contextiq.sessions.v1.SessionsService/CreateEvent", {
    sessionId: endedSessionId,
    eventType: "message",
  });
  await callJson(sessionsUrl, "/contextiq.sessions.v1.SessionsService/EndSession", {
    id: endedSessionId,
  });
  return {
    sessionId,
    endedSessionId,
    eventId: (event["event"] as { id: string }).id,
    memoryId: (memory["memory"] as { id: string }).id,
  };
}

/**
 * Valid reads over each wire the fuzz uses, which must succeed: GetSession over Connect JSON
 * (HTTP/1.1) and binary (h2c), Health/Check over gRPC, ListEvents over gRPC-Web, GetSession as a
 * Connect GET. None of them writes (GetMemory would: it counts accesses).
 */
export function goodReads(ids: SeedIds): Pick<Input, "port" | "request" | "label">[] {
  const getSession = SessionsService.method.getSession;
  const listEvents = SessionsService.method.listEvents;
  const check = Health.method.check;
  const get = validRequest(getSession, ids);
  const json = new TextEncoder().encode(toJsonString(getSession.input, get));
  return [
    {
      port: "sessions",
      label: "GetSession, Connect JSON over HTTP/1.1",
      request: {
        wire: "http1",
        method: "POST",
        path: pathOf(getSession),
        headers: { "content-type": "application/json" },
        body: json,
      },
    },
    {
      port: "sessions",
      label: "GetSession, Connect binary over h2c",
      request: {
        wire: "h2",
        method: "POST",
        path: pathOf(getSession),
        headers: { "content-type": "application/proto" },
        body: toBinary(getSession.input, get),
      },
    },
    {
      port: "memory",
      label: "Health/Check, gRPC",
      request: {
        wire: "h2",
        method: "POST",
        path: pathOf(check),
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: envelope(0, toBinary(check.input, validRequest(check, ids))),
      },
    },
    {
      port: "sessions",
      label: "ListEvents, gRPC-Web over HTTP/1.1",
      request: {
        wire: "http1",
        method: "POST",
        path: pathOf(listEvents),
        headers: { "content-type": "application/grpc-web+proto" },
        body: envelope(0, toBinary(listEvents.input, validRequest(listEvents, ids))),
      },
    },
    {
      port: "sessions",
      label: "GetSession, Connect GET",
      request: {
        wire: "http1",
        method: "GET",
        path: `${pathOf(getSession)}?encoding=json&message=${encodeURIComponent(toJsonString(getSession.input, get))}`,
        headers: {},
        body: new Uint8Array(0),
      },
    },
  ];
}

/** The good reads that did not succeed, each with what happened instead. */
export async function failedReads(
  senders: Senders,
  reads: readonly Pick<Input, "port" | "request" | "label">[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const read of reads) {
    const reason = failureOf(await senders.send(read), false);
    if (reason !== "succeeded (HTTP 200)") problems.push(`${read.label}: ${reason ?? "an error"}`);
  }
  return problems;
}

/** Whether GET /health answers 200 within 2 s, on a connection of its own. */
export function answersHealth(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: "/health", agent: false, timeout: 2_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
