// Server streaming over the HTTP/1.1 JSON transport, against real servers on loopback: connect-node
// serving WatchEvents, and a plain node:http peer that records the request's bytes and writes the
// response's envelopes by hand, broken ones included. curl reads the same stream as an outsider.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync } from "node:zlib";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  type ServiceImpl,
  type StreamResponse,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  SessionsService,
  type WatchEventsRequestSchema,
  type WatchEventsResponse,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { writeConnectDeadline } from "../../src/policy/deadline-header.js";
import { failureKind, isTransient } from "../../src/policy/transient.js";
import { createHttp1JsonStreamSender } from "../../src/transport/http1-stream-exchange.js";
import {
  createHttp1JsonTransport,
  createKeepAliveAgent,
  type Http1JsonTransportOptions,
  type KeepAliveAgent,
} from "../../src/transport/index.js";
import { createStreamCall } from "../../src/transport/stream-call.js";
import { startDroppingRelay } from "../support/dropping-relay.js";
import {
  endStreamEnvelope,
  envelope,
  messageEnvelope,
  type StreamPeerHandler,
  splitEnvelopes,
  startStreamAnswer,
  startStreamPeer,
} from "./connect-stream-peer.js";

/** curl is an outside reader of the same stream, where it is installed. */
const hasCurl = await new Promise<boolean>((resolve) =>
  execFile("curl", ["--version"], (error) => resolve(error === null)),
);

const sessionId = "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11";
const watchPath = "/contextiq.sessions.v1.SessionsService/WatchEvents";
type WatchEvents = ServiceImpl<typeof SessionsService>["watchEvents"];

/** The n-th event of the session, as a WatchEvents response. */
const eventNumber = (n: number) => ({ event: { id: `e${n}`, sessionId, eventType: "message" } });

/** A connect-node server on node:http (HTTP/1.1) whose SessionsService implements WatchEvents. */
async function startWatchServer(watchEvents: WatchEvents) {
  const server = createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(SessionsService, { watchEvents });
      },
    }),
  );
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

/** A keep-alive agent of the test's own, to look into; destroyed after the test. */
function agentFor(url: string): KeepAliveAgent {
  const agent = createKeepAliveAgent(new URL(url).origin);
  onTestFinished(() => agent.destroy());
  return agent;
}

const socketsOf = (sockets: NodeJS.ReadOnlyDict<unknown[]>) =>
  Object.values(sockets).flatMap((list) => list ?? []) as Socket[];
/** Sockets of the agent serving a request now. */
const busySockets = (agent: KeepAliveAgent) => socketsOf(agent.sockets);
/** Sockets the agent keeps for the next request. */
const freeSockets = (agent: KeepAliveAgent) => socketsOf(agent.freeSockets);

/** A transport on its own agent, so that closing it after the test cannot wait on a stream. */
function transportAt(url: string, options: Partial<Http1JsonTransportOptions> = {}) {
  const agent = agentFor(url);
  const transport = createHttp1JsonTransport({ baseUrl: url, agent, ...options });
  return { agent, transport, sessions: createClient(SessionsService, transport) };
}

/** The request of a server-streaming call, as connect's clients pass it to the transport. */
async function* only(message: MessageInitShape<typeof WatchEventsRequestSchema>) {
  yield message;
}

/** The messages of a stream until it ends, and the error it ended with, if any. */
async function readAll<T>(messages: AsyncIterable<T>) {
  const read: T[] = [];
  try {
    for await (const message of messages) read.push(message);
    return { read, error: undefined };
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return { read, error: error as ConnectError };
  }
}

const ids = (responses: readonly WatchEventsResponse[]) => responses.map((r) => r.event?.id);

/** A promise, and the function that resolves it. */
function signalled() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A gzip body that inflates to `size` zero bytes: blocks of 1 MiB of zeros, each compressed once
 * and repeated, so that neither making it nor (past the limit) reading it inflates it.
 */
function gzipOfZeros(size: number): Buffer {
  const mebibyte = Buffer.alloc(1 << 20);
  const block = deflateRawSync(mebibyte, { finishFlush: constants.Z_FULL_FLUSH });
  const blocks = size / mebibyte.byteLength;
  let crc = 0;
  for (let i = 0; i < blocks; i++) crc = crc32(mebibyte, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  // The empty final block (fixed Huffman, end of block only) ends the deflate stream.
  const lastBlock = Buffer.from([0x03, 0x00]);
  return Buffer.concat([header, ...Array<Buffer>(blocks).fill(block), lastBlock, trailer]);
}

describe("server streaming over the HTTP/1.1 JSON transport, against connect-node", () => {
  it("reads the messages in order, with the headers and trailers, and gives the socket back for the next stream", async () => {
    const server = await startWatchServer(async function* (req, ctx) {
      ctx.responseHeader.set("x-watch", "header");
      ctx.responseTrailer.set("x-cursor", "e4");
      for (let n = 1; n <= 3; n++) yield eventNumber(n);
      // Over connect-node's 1 KiB threshold: it sends this one gzipped.
      yield { event: { id: "e4", sessionId: req.sessionId, data: { text: "x".repeat(4096) } } };
    });
    const { agent, sessions } = transportAt(server.url);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const { read, error } = await readAll(
      sessions.watchEvents(
        { sessionId },
        { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      ),
    );
    expect(error).toBeUndefined();
    expect(ids(read)).toEqual(["e1", "e2", "e3", "e4"]);
    expect(read[3]?.event?.sessionId).toBe(sessionId);
    expect(read[3]?.event?.data?.["text"]).toHaveLength(4096);
    expect(header?.get("x-watch")).toBe("header");
    expect(trailer?.get("x-cursor")).toBe("e4");
    await expect.poll(() => freeSockets(agent).length).toBe(1);
    expect(busySockets(agent)).toHaveLength(0);

    expect(ids((await readAll(sessions.watchEvents({ sessionId }))).read)).toHaveLength(4);
    expect(server.connections()).toBe(1);
  });

  it("ends with the error the server ends the stream with, its trailers as the error's metadata", async () => {
    const server = await startWatchServer(async function* (_req, ctx) {
      ctx.responseTrailer.set("x-why", "deleted");
      yield eventNumber(1);
      throw new ConnectError("the session was deleted", Code.NotFound);
    });
    const { sessions } = transportAt(server.url);
    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(ids(read)).toEqual(["e1"]);
    expect(error?.code).toBe(Code.NotFound);
    expect(error?.rawMessage).toBe("the session was deleted");
    expect(error?.metadata.get("x-why")).toBe("deleted");
  });

  it("ends with CANCELED when the caller cancels mid-stream, and the server sees the request closed", async () => {
    const serverAborted = signalled();
    const server = await startWatchServer(async function* (_req, ctx) {
      ctx.signal.addEventListener("abort", serverAborted.resolve);
      yield eventNumber(1);
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    const { agent, sessions } = transportAt(server.url);
    const controller = new AbortController();
    const read: WatchEventsResponse[] = [];
    const error = await (async () => {
      try {
        for await (const response of sessions.watchEvents(
          { sessionId },
          { signal: controller.signal },
        )) {
          read.push(response);
          controller.abort();
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(ids(read)).toEqual(["e1"]);
    expect(error).toMatchObject({ code: Code.Canceled });
    await serverAborted.promise;
    await expect.poll(() => busySockets(agent).length).toBe(0);
  });

  it("frees the socket of a reader that stops early: the request is closed and no socket stays busy", async () => {
    const serverAborted = signalled();
    const server = await startWatchServer(async function* (_req, ctx) {
      ctx.signal.addEventListener("abort", serverAborted.resolve);
      for (let n = 1; !ctx.signal.aborted; n++) {
        yield eventNumber(n);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const { agent, transport } = transportAt(server.url);
    const response = await transport.stream(
      SessionsService.method.watchEvents,
      undefined,
      undefined,
      undefined,
      only({ sessionId }),
    );
    const read: WatchEventsResponse[] = [];
    for await (const message of response.message) {
      read.push(message);
      if (read.length === 2) break;
    }
    expect(ids(read)).toEqual(["e1", "e2"]);
    await serverAborted.promise;
    await expect.poll(() => busySockets(agent).length).toBe(0);
    expect(freeSockets(agent)).toHaveLength(0);
  });

  it("sends a stream's request again on a new socket when the reused one was closed under it", async () => {
    const server = await startWatchServer(async function* () {
      yield eventNumber(1);
    });
    const relay = await startDroppingRelay(server.url);
    onTestFinished(() => relay.close());
    const { agent, sessions } = transportAt(relay.url);
    expect(ids((await readAll(sessions.watchEvents({ sessionId }))).read)).toEqual(["e1"]);
    await expect.poll(() => freeSockets(agent).length).toBe(1);
    relay.dropConnections();

    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(error).toBeUndefined();
    expect(ids(read)).toEqual(["e1"]);
    expect(relay.resets()).toBe(1);
    expect(relay.opened()).toBe(2);
  });

  it.skipIf(!hasCurl)(
    "streams to curl as it does to the transport: the same envelopes, read by an outsider",
    async () => {
      const server = await startWatchServer(async function* () {
        for (let n = 1; n <= 3; n++) yield eventNumber(n);
      });
      const { sessions } = transportAt(server.url);
      const viaTransport = await readAll(sessions.watchEvents({ sessionId }));

      const dir = await mkdtemp(join(tmpdir(), "streams-http1-"));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      const requestFile = join(dir, "request");
      await writeFile(requestFile, messageEnvelope({ sessionId }));
      const stdout = await new Promise<Buffer>((resolve, reject) => {
        execFile(
          "curl",
          [
            "--silent",
            "--show-error",
            "--no-buffer",
            "--header",
            "content-type: application/connect+json",
            "--header",
            "connect-protocol-version: 1",
            "--data-binary",
            `@${requestFile}`,
            `${server.url}${watchPath}`,
          ],
          { encoding: "buffer", timeout: 20_000 },
          (error, out) => (error ? reject(error) : resolve(out)),
        );
      });
      const envelopes = splitEnvelopes(stdout);
      expect(envelopes.map((e) => e.flags)).toEqual([0, 0, 0, 0b10]);
      const viaCurl = envelopes.slice(0, 3).map((e) => JSON.parse(e.data.toString()));
      expect(viaCurl.map((json) => json.event.id)).toEqual(ids(viaTransport.read));
      expect(JSON.parse(envelopes[3]?.data.toString() ?? "")).toEqual({});
    },
  );
});

describe("server streaming over the HTTP/1.1 JSON transport, on the wire", () => {
  async function peerAndClient(handler: StreamPeerHandler, options = {}) {
    const peer = await startStreamPeer(handler);
    return { peer, ...transportAt(peer.url, options) };
  }

  it("sends the request as one enveloped JSON message with Connect's streaming headers, and no deadline unless given", async () => {
    const { peer, sessions } = await peerAndClient((_, response) => {
      startStreamAnswer(response, { "x-header": "h" });
      response.end(
        Buffer.concat([
          messageEnvelope({ event: { id: "e1", fieldOfANewerServer: 1 } }),
          endStreamEnvelope({ metadata: { "x-trailer": ["t1", "t2"] } }),
        ]),
      );
    });
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const { read, error } = await readAll(
      sessions.watchEvents(
        { sessionId, afterEventId: "e0" },
        { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      ),
    );
    expect(error).toBeUndefined();
    expect(ids(read)).toEqual(["e1"]);
    expect(header?.get("x-header")).toBe("h");
    expect(trailer?.get("x-trailer")).toBe("t1, t2");

    const [request] = peer.requests;
    expect(request?.path).toBe(watchPath);
    expect(request?.headers).toMatchObject({
      "content-type": "application/connect+json",
      "connect-protocol-version": "1",
      "connect-accept-encoding": "gzip",
      "content-length": String(request?.body.byteLength),
      "user-agent": expect.stringMatching(/^contextiq-clients\//),
    });
    expect(request?.headers["connect-content-encoding"]).toBeUndefined();
    expect(request?.headers["connect-timeout-ms"]).toBeUndefined();
    const envelopes = splitEnvelopes(request?.body ?? Buffer.alloc(0));
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]?.flags).toBe(0);
    expect(JSON.parse(envelopes[0]?.data.toString() ?? "")).toEqual({
      sessionId,
      afterEventId: "e0",
    });
  });

  it("gzips a request message of at least compressMinBytes, and reads gzipped messages", async () => {
    const peer = await startStreamPeer((_, response) => {
      startStreamAnswer(response, { "connect-content-encoding": "gzip" });
      response.end(
        Buffer.concat([
          envelope(0b01, gzipSync(JSON.stringify(eventNumber(1)))),
          // A message may go uncompressed in a compressed stream: its flag says so.
          messageEnvelope(eventNumber(2)),
          envelope(0b11, gzipSync(JSON.stringify({ metadata: { "x-trailer": ["t"] } }))),
        ]),
      );
    });
    const agent = agentFor(peer.url);
    const { hostname, port, host } = new URL(peer.url);
    const send = createHttp1JsonStreamSender(agent, {
      scheme: "http",
      authority: host,
      pathPrefix: "",
      readMaxBytes: 1 << 20,
      writeMaxBytes: 1 << 20,
      compressMinBytes: 64,
      hostname,
      port,
    });
    const stream = createStreamCall({
      baseUrl: peer.url,
      interceptors: undefined,
      defaultTimeoutMs: undefined,
      writeDeadline: writeConnectDeadline,
      send,
    });
    const watch = (request: MessageInitShape<typeof WatchEventsRequestSchema>) =>
      stream(SessionsService.method.watchEvents, undefined, undefined, undefined, only(request));

    const long = { sessionId, afterEventId: "7c9e6679-7425-40de-944b-e07fc1f90ae7" };
    const response = await watch(long);
    const { read, error } = await readAll(response.message);
    expect(error).toBeUndefined();
    expect(ids(read)).toEqual(["e1", "e2"]);
    expect(response.trailer.get("x-trailer")).toBe("t");
    const gzipped = peer.requests[0];
    expect(gzipped?.headers["connect-content-encoding"]).toBe("gzip");
    const [compressed] = splitEnvelopes(gzipped?.body ?? Buffer.alloc(0));
    expect(compressed?.flags).toBe(0b01);
    expect(JSON.parse(gunzipSync(compressed?.data ?? Buffer.alloc(0)).toString())).toEqual(long);

    await readAll((await watch({ sessionId: "short" })).message);
    const plain = peer.requests[1];
    expect(plain?.headers["connect-content-encoding"]).toBeUndefined();
    expect(splitEnvelopes(plain?.body ?? Buffer.alloc(0))[0]?.flags).toBe(0);
  });

  it("ends with the end-stream message's error, its metadata and the response headers as the error's, and keeps the socket", async () => {
    const { agent, sessions } = await peerAndClient((_, response) => {
      startStreamAnswer(response, { "x-header": "h" });
      response.end(
        Buffer.concat([
          messageEnvelope(eventNumber(1)),
          endStreamEnvelope({
            error: { code: "resource_exhausted", message: "too many watchers" },
            metadata: { "retry-after-ms": ["250"] },
          }),
        ]),
      );
    });
    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(ids(read)).toEqual(["e1"]);
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toBe("too many watchers");
    expect(error?.metadata.get("retry-after-ms")).toBe("250");
    expect(error?.metadata.get("x-header")).toBe("h");
    await expect.poll(() => freeSockets(agent).length).toBe(1);
  });

  it("reads a non-200 answer's Connect JSON error, and reports any other by its HTTP status", async () => {
    const { sessions } = await peerAndClient((request, response) => {
      if (request.headers["x-answer"] === "json") {
        const body = JSON.stringify({ code: "permission_denied", message: "not yours" });
        response.writeHead(403, { "content-type": "application/json" });
        response.end(body);
      } else {
        response.writeHead(503, { "content-type": "text/plain" });
        response.end("down for maintenance");
      }
    });
    const json = await readAll(
      sessions.watchEvents({ sessionId }, { headers: { "x-answer": "json" } }),
    );
    expect(json.error?.code).toBe(Code.PermissionDenied);
    expect(json.error?.rawMessage).toBe("not yours");
    const text = await readAll(sessions.watchEvents({ sessionId }));
    expect(text.error?.code).toBe(Code.Unavailable);
    expect(text.error?.rawMessage).toBe("HTTP 503");
  });

  const broken: [string, (response: ServerResponse) => void, Code, RegExp][] = [
    [
      "a response cut inside a message",
      (response) =>
        response.end(
          Buffer.concat([messageEnvelope(eventNumber(1)), envelope(0, "{}").subarray(0, 4)]),
        ),
      Code.Internal,
      /ended inside a message/,
    ],
    [
      "a response without its end-stream message",
      (response) => response.end(messageEnvelope(eventNumber(1))),
      Code.Internal,
      /without an end-stream message/,
    ],
    [
      "data after the end-stream message",
      (response) =>
        response.end(
          Buffer.concat([
            messageEnvelope(eventNumber(1)),
            endStreamEnvelope(),
            messageEnvelope({}),
          ]),
        ),
      Code.Internal,
      /after the end-stream message/,
    ],
    [
      "a message that is not JSON",
      (response) =>
        response.end(Buffer.concat([messageEnvelope(eventNumber(1)), envelope(0, "{")])),
      Code.Internal,
      /JSON/,
    ],
    [
      "a compressed message in a stream without connect-content-encoding",
      (response) =>
        response.end(
          Buffer.concat([
            messageEnvelope(eventNumber(1)),
            envelope(0b01, gzipSync("{}")),
            endStreamEnvelope(),
          ]),
        ),
      Code.Internal,
      /compressed message/,
    ],
  ];
  it.each(broken)(
    "ends with an error after the messages before %s",
    async (_, answer, code, message) => {
      const { sessions } = await peerAndClient((_request, response) => {
        startStreamAnswer(response);
        answer(response);
      });
      const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
      expect(ids(read)).toEqual(["e1"]);
      expect(error?.code).toBe(code);
      expect(error?.rawMessage).toMatch(message);
    },
  );

  it("refuses an answer that is not a Connect JSON stream, or in an encoding it did not offer", async () => {
    const { sessions } = await peerAndClient((request, response) => {
      if (request.headers["x-answer"] === "unary") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      } else {
        startStreamAnswer(response, { "connect-content-encoding": "br" });
        response.end(endStreamEnvelope());
      }
    });
    const unary = await readAll(
      sessions.watchEvents({ sessionId }, { headers: { "x-answer": "unary" } }),
    );
    expect(unary.error?.code).toBe(Code.Internal);
    expect(unary.error?.rawMessage).toMatch(/content type application\/json/);
    const br = await readAll(sessions.watchEvents({ sessionId }));
    expect(br.error?.code).toBe(Code.Internal);
    expect(br.error?.rawMessage).toMatch(/encoding "br"/);
    // gzip, from a transport whose compression is off and so did not offer it.
    const { peer: gzipPeer, sessions: plain } = await peerAndClient(
      (_, response) => {
        startStreamAnswer(response, { "connect-content-encoding": "gzip" });
        response.end(endStreamEnvelope());
      },
      { compressMinBytes: false },
    );
    const gzip = await readAll(plain.watchEvents({ sessionId }));
    expect(gzipPeer.requests[0]?.headers["connect-accept-encoding"]).toBeUndefined();
    expect(gzip.error?.code).toBe(Code.Internal);
    expect(gzip.error?.rawMessage).toMatch(/encoding "gzip"/);
  });

  it("refuses a message past readMaxBytes from its prefix, without waiting for its bytes", async () => {
    const { peer, sessions } = await peerAndClient(
      (_, response) => {
        startStreamAnswer(response);
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(1 << 20, 1);
        // The announced megabyte never comes: only the prefix can have refused it.
        response.write(Buffer.concat([messageEnvelope(eventNumber(1)), prefix]));
      },
      { readMaxBytes: 1024 },
    );
    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(ids(read)).toEqual(["e1"]);
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/readMaxBytes \(1024\)/);
    await peer.requests[0]?.socketClosed;
  });

  it("refuses a compressed message that would inflate to 1 GiB, inflating no more than readMaxBytes", async () => {
    // The bomb is a real gzip: the same construction inflates to what it says.
    expect(gunzipSync(gzipOfZeros(4 << 20)).equals(Buffer.alloc(4 << 20))).toBe(true);
    const bomb = gzipOfZeros(1 << 30);
    expect(bomb.byteLength).toBeLessThan(4 << 20);
    const { peer, sessions } = await peerAndClient((_, response) => {
      startStreamAnswer(response, { "connect-content-encoding": "gzip" });
      response.end(Buffer.concat([envelope(0b01, bomb), endStreamEnvelope()]));
    });
    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(read).toEqual([]);
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/larger than 4194304 bytes once decompressed/);
    expect(peer.requests).toHaveLength(1);
  }, 60_000);

  it("ends with DEADLINE_EXCEEDED at the deadline it sent, closing the request", async () => {
    const { peer, sessions } = await peerAndClient((_, response) => {
      startStreamAnswer(response);
      response.write(messageEnvelope(eventNumber(1)));
    });
    const { error } = await readAll(sessions.watchEvents({ sessionId }, { timeoutMs: 300 }));
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(Number(peer.requests[0]?.headers["connect-timeout-ms"])).toBeLessThanOrEqual(300);
    await peer.requests[0]?.socketClosed;
  });

  it("reports a socket destroyed mid-stream as UNAVAILABLE after the messages before it, which the retry policy calls transient", async () => {
    const { sessions } = await peerAndClient((_, response) => {
      startStreamAnswer(response);
      response.write(messageEnvelope(eventNumber(1)), () => response.socket?.destroy());
    });
    const { read, error } = await readAll(sessions.watchEvents({ sessionId }));
    expect(ids(read)).toEqual(["e1"]);
    expect(error?.code).toBe(Code.Unavailable);
    expect((error?.cause as { code?: string } | undefined)?.code).toBe("ECONNRESET");
    expect(failureKind(error as ConnectError)).toBe("reset");
    expect(isTransient(error as ConnectError, true, undefined)).toBe(true);
  });

  it("slows a server down when the reader stops pulling: its writes block, and resume when the reader reads on", async () => {
    const total = 65_536; // 1 GiB of 16 KiB messages: more than any socket buffer holds.
    const pad = "x".repeat(16 * 1024);
    const server = { written: 0, blocked: false, drainedAfterBlock: false, finished: false };
    const { agent, transport } = await peerAndClient((_, response) => {
      startStreamAnswer(response);
      const writeOn = () => {
        while (server.written < total) {
          const message = { event: { id: `e${server.written + 1}`, data: { pad } } };
          server.written++;
          if (!response.write(messageEnvelope(message))) {
            server.blocked = true;
            response.once("drain", () => {
              server.blocked = false;
              server.drainedAfterBlock = true;
              writeOn();
            });
            return;
          }
        }
        server.finished = true;
        response.end(endStreamEnvelope());
      };
      writeOn();
    });
    const response: StreamResponse = await transport.stream(
      SessionsService.method.watchEvents,
      undefined,
      undefined,
      undefined,
      only({ sessionId }),
    );
    const messages = (response.message as AsyncIterable<WatchEventsResponse>)[
      Symbol.asyncIterator
    ]();
    expect((await messages.next()).value?.event?.id).toBe("e1");

    // The reader stops: the client stops reading its socket, and the server's writes block.
    await expect
      .poll(() => busySockets(agent)[0]?.isPaused() === true && server.blocked, { timeout: 30_000 })
      .toBe(true);
    const writtenWhenBlocked = server.written;
    expect(writtenWhenBlocked).toBeLessThan(total);
    expect(server.finished).toBe(false);
    server.drainedAfterBlock = false;

    // The reader reads on, in order, until the server could write again.
    let next = 2;
    while (!server.drainedAfterBlock) {
      const { value } = await messages.next();
      expect(value?.event?.id).toBe(`e${next++}`);
    }
    expect(server.written).toBeGreaterThan(writtenWhenBlocked);
    await messages.return?.();
  }, 60_000);

  it("refuses client-streaming and bidi methods with UNIMPLEMENTED, naming the method and HTTP/2, sending nothing", async () => {
    const { peer, transport } = await peerAndClient(() => {});
    for (const methodKind of ["client_streaming", "bidi_streaming"] as const) {
      const method = { ...SessionsService.method.watchEvents, methodKind } as never;
      const error = await transport
        .stream(method, undefined, undefined, undefined, only({ sessionId }))
        .then(
          () => undefined,
          (e: unknown) => e as ConnectError,
        );
      expect(error?.code).toBe(Code.Unimplemented);
      expect(error?.rawMessage).toMatch(
        /SessionsService\.WatchEvents is a (client|bidi) streaming/,
      );
      expect(error?.rawMessage).toMatch(/HTTP\/2/);
    }
    expect(peer.requests).toHaveLength(0);
  });

  it("closes once the streams in flight are done, and refuses streams from then on", async () => {
    let finish = () => {};
    const peer = await startStreamPeer((_, response) => {
      startStreamAnswer(response);
      response.write(messageEnvelope(eventNumber(1)));
      finish = () => response.end(endStreamEnvelope());
    });
    const transport = createHttp1JsonTransport({ baseUrl: peer.url });
    const sessions = createClient(SessionsService, transport);
    const messages = sessions.watchEvents({ sessionId })[Symbol.asyncIterator]();
    expect((await messages.next()).value?.event?.id).toBe("e1");
    let closed = false;
    const closing = transport.close().then(() => {
      closed = true;
    });
    const refused = await readAll(sessions.watchEvents({ sessionId }));
    expect(refused.error?.code).toBe(Code.FailedPrecondition);
    expect(closed).toBe(false);
    finish();
    expect((await messages.next()).done).toBe(true);
    await closing;
    await peer.requests[0]?.socketClosed;
  });
});
