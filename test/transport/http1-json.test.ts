// The HTTP/1.1 JSON transport on its own, against a plain node:http peer: what it sends, how it
// reads answers and errors, its limits, deadlines, cancellation and lifecycle.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it, onTestFinished } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { failureKind } from "../../src/policy/transient.js";
import {
  createHttp1JsonTransport,
  type Http1JsonTransportOptions,
} from "../../src/transport/index.js";
import { closedPort } from "../support/closed-port.js";
import { rejection } from "../support/errors.js";
import { answerJson, type JsonPeerHandler, startJsonPeer } from "./json-peer.js";

const sessionId = "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11";
const session = { id: sessionId, title: "from the peer" };

function transport(options: Http1JsonTransportOptions) {
  const created = createHttp1JsonTransport(options);
  onTestFinished(() => created.close());
  return created;
}

async function sessionsAt(
  handler: JsonPeerHandler,
  options: Partial<Http1JsonTransportOptions> = {},
) {
  const peer = await startJsonPeer(handler);
  const sessions = createClient(SessionsService, transport({ baseUrl: peer.url, ...options }));
  return { peer, sessions };
}

describe("the HTTP/1.1 JSON transport", () => {
  it("POSTs proto3 JSON with Connect's headers and the deadline, and reads the answer and its trailers", async () => {
    const { peer, sessions } = await sessionsAt((_, response) =>
      answerJson(
        response,
        200,
        { session, fieldOfANewerServer: 1 },
        {
          "x-header": "h",
          "trailer-x-trailer": "t",
        },
      ),
    );
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const answer = await sessions.getSession(
      { id: sessionId },
      { timeoutMs: 9_000, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    expect(answer.session?.title).toBe("from the peer");
    expect(header?.get("x-header")).toBe("h");
    expect(header?.has("trailer-x-trailer")).toBe(false);
    expect(trailer?.get("x-trailer")).toBe("t");
    const [request] = peer.requests;
    expect(request?.path).toBe("/contextiq.sessions.v1.SessionsService/GetSession");
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      "connect-protocol-version": "1",
      "user-agent": expect.stringMatching(/^contextiq-clients\//),
      connection: "keep-alive",
    });
    expect(Number(request?.headers["connect-timeout-ms"])).toBeLessThanOrEqual(9_000);
    expect(JSON.parse(request?.body ?? "")).toEqual({ id: sessionId });
  });

  it("reads a Connect error: its code, message, details, and headers and trailers as metadata", async () => {
    const details = toBinary(
      BadRequestSchema,
      create(BadRequestSchema, { fieldViolations: [{ field: "id", description: "bad" }] }),
    );
    const { sessions } = await sessionsAt((_, response) =>
      answerJson(
        response,
        400,
        {
          code: "invalid_argument",
          message: "id: bad",
          details: [
            { type: BadRequestSchema.typeName, value: Buffer.from(details).toString("base64url") },
          ],
        },
        { "x-header": "h", "trailer-x-trailer": "t" },
      ),
    );
    const error = await rejection(sessions.getSession({ id: "x" }), Code.InvalidArgument);
    expect(error.rawMessage).toBe("id: bad");
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("id");
    expect(error.metadata.get("x-header")).toBe("h");
    expect(error.metadata.get("x-trailer")).toBe("t");
  });

  it("reports an answer that is not a Connect error by its HTTP status, headers as metadata", async () => {
    const { sessions } = await sessionsAt((_, response) => {
      response.writeHead(503, { "content-type": "text/plain", "retry-after": "1" });
      response.end("overloaded");
    });
    const error = await rejection(sessions.getSession({ id: sessionId }), Code.Unavailable);
    expect(error.rawMessage).toBe("HTTP 503");
    expect(error.metadata.get("retry-after")).toBe("1");
  });

  it("reports a 200 answer that is not JSON, or not valid JSON, as an error", async () => {
    const proto = await sessionsAt((_, response) => {
      response.writeHead(200, { "content-type": "application/proto" });
      response.end();
    });
    const wrongType = await rejection(proto.sessions.getSession({ id: sessionId }), Code.Internal);
    expect(wrongType.rawMessage).toBe("unsupported content type application/proto");
    const broken = await sessionsAt((_, response) => answerJson(response, 200, "{not json"));
    await rejection(broken.sessions.getSession({ id: sessionId }), Code.Internal);
  });

  it("refuses an answer larger than readMaxBytes, with a length or without", async () => {
    const big = JSON.stringify({ session: { ...session, title: "x".repeat(2_000) } });
    for (const chunked of [false, true]) {
      const { sessions } = await sessionsAt(
        (_, response) => {
          response.writeHead(200, {
            "content-type": "application/json",
            ...(chunked ? {} : { "content-length": big.length }),
          });
          response.end(big);
        },
        { readMaxBytes: 1_000 },
      );
      const error = await rejection(sessions.getSession({ id: sessionId }), Code.ResourceExhausted);
      expect(error.rawMessage).toMatch(/readMaxBytes \(1000\)/);
    }
  });

  it("refuses to send a request larger than writeMaxBytes: nothing reaches the server", async () => {
    const { peer, sessions } = await sessionsAt(
      (_, response) => answerJson(response, 200, { session }),
      {
        writeMaxBytes: 100,
      },
    );
    await rejection(sessions.getSession({ id: "x".repeat(200) }), Code.ResourceExhausted);
    expect(peer.requests).toEqual([]);
  });

  it("ends a call with CANCELED on the caller's signal and DEADLINE_EXCEEDED at its deadline, closing its socket", async () => {
    const { peer, sessions } = await sessionsAt(() => {});
    const controller = new AbortController();
    const cancelled = sessions.getSession({ id: sessionId }, { signal: controller.signal });
    await expect.poll(() => peer.requests.length).toBe(1);
    controller.abort();
    await rejection(cancelled, Code.Canceled);
    await peer.requests[0]?.socketClosed;
    await rejection(
      sessions.getSession({ id: sessionId }, { timeoutMs: 50 }),
      Code.DeadlineExceeded,
    );
    await peer.requests[1]?.socketClosed;
  });

  it("runs interceptors around each call, outermost first", async () => {
    const seen: string[] = [];
    const tag =
      (name: string): Interceptor =>
      (next) =>
      (req) => {
        seen.push(name);
        req.header.append("x-tag", name);
        return next(req);
      };
    const { peer, sessions } = await sessionsAt(
      (_, response) => answerJson(response, 200, { session }),
      {
        interceptors: [tag("outer"), tag("inner")],
      },
    );
    await sessions.getSession({ id: sessionId });
    expect(seen).toEqual(["outer", "inner"]);
    expect(peer.requests[0]?.headers["x-tag"]).toBe("outer, inner");
  });

  it("reports a refused connection as UNAVAILABLE, refused, with node's error as the cause", async () => {
    const sessions = createClient(
      SessionsService,
      transport({ baseUrl: `http://127.0.0.1:${await closedPort()}` }),
    );
    const error = await rejection(sessions.getSession({ id: sessionId }), Code.Unavailable);
    expect(failureKind(error)).toBe("refused");
  });

  it("refuses a stream of a unary method with UNIMPLEMENTED (streams: streams-http1.test.ts)", async () => {
    const t = transport({ baseUrl: "http://127.0.0.1:1" });
    const none = (async function* () {})();
    await expect(
      t.stream(SessionsService.method.getSession as never, undefined, undefined, undefined, none),
    ).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  it("closes once the calls in flight are done, and refuses calls from then on", async () => {
    let answer = () => {};
    const peer = await startJsonPeer((_, response) => {
      answer = () => answerJson(response, 200, { session });
    });
    const closing = createHttp1JsonTransport({ baseUrl: peer.url });
    const sessions = createClient(SessionsService, closing);
    const inFlight = sessions.getSession({ id: sessionId });
    await expect.poll(() => peer.requests.length).toBe(1);
    const closed = closing.close();
    await rejection(sessions.getSession({ id: sessionId }), Code.FailedPrecondition);
    answer();
    expect((await inFlight).session?.id).toBe(sessionId);
    await closed;
    await peer.requests[0]?.socketClosed;
  });
});
