// Streaming RPCs over the HTTP/2 Connect JSON transport (`application/connect+json`), held to
// connect-node's server on node:http2: server, client and bidirectional streams, the end-stream
// message's error and trailers, deadlines and cancellation (the server's signal aborts), a reader
// that stops early, flow control, the read limit, and gzip both ways; then, against a peer that
// writes envelopes by hand, a gzip bomb and a connection cut mid-stream.
import { randomBytes } from "node:crypto";
import { constants, type ServerHttp2Stream } from "node:http2";
import { gzipSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { writeConnectDeadline } from "../../src/policy/deadline-header.js";
import { failureKind, isTransient } from "../../src/policy/transient.js";
import { createHttp2JsonStreamSender } from "../../src/transport/connect-stream-protocol.js";
import type { Http2JsonTransportOptions } from "../../src/transport/http2-json-transport.js";
import { createHttp2JsonTransport } from "../../src/transport/http2-json-transport.js";
import { CountRequestSchema, StreamTestService } from "../gen/streamtest/v1/stream_test_pb.js";
import { rejection } from "../support/errors.js";
import { startConnectStreamServer } from "./connect-stream-server.js";
import { useTransportFixtures } from "./fixtures.js";
import { gzipBomb, streamsInFlight, streamTransport, untilSteady } from "./stream-fixtures.js";

const open = useTransportFixtures();
/** A Connect JSON transport over HTTP/2 on `options.pool`, which the fixtures close after the test. */
function jsonTransport(options: Http2JsonTransportOptions) {
  return createHttp2JsonTransport(options);
}

/** connect-node serving `impl`, and a client of it over a new transport and pool. */
async function serve(impl: Parameters<typeof startConnectStreamServer>[0], readMaxBytes?: number) {
  const { url } = await startConnectStreamServer(impl);
  const pool = open.createPool(url);
  const transport = jsonTransport({ baseUrl: url, pool, readMaxBytes });
  return { url, pool, transport, client: createClient(StreamTestService, transport) };
}

/** Resolves once `context`'s call is aborted (cancelled by the client, or past its deadline). */
function aborted(context: HandlerContext): Promise<void> {
  return new Promise((resolve) => {
    if (context.signal.aborted) resolve();
    else context.signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

describe("Connect JSON streams against connect-node", () => {
  it("server streaming: every message in order, then the end-stream message's trailers", async () => {
    const { client } = await serve({
      async *count(request, context) {
        context.responseTrailer.set("x-trailer", "t");
        for (let index = 0; index < request.count; index++) yield { index };
      },
    });
    let trailer: Headers | undefined;
    let header: Headers | undefined;
    const indexes: number[] = [];
    for await (const tick of client.count(
      { count: 200 },
      { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    )) {
      indexes.push(tick.index);
    }
    expect(indexes).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(header?.get("content-type")).toBe("application/connect+json");
    expect(trailer?.get("x-trailer")).toBe("t");
  });

  it("client streaming and bidirectional ping-pong", async () => {
    const { client } = await serve({
      async add(requests) {
        let total = 0;
        let count = 0;
        for await (const r of requests) {
          total += r.value;
          count++;
        }
        return { total, count };
      },
      async *echo(requests) {
        for await (const r of requests) yield { text: `echo ${r.text}` };
      },
    });
    async function* values() {
      for (let value = 1; value <= 100; value++) yield { value };
    }
    expect(await client.add(values())).toMatchObject({ total: 5050, count: 100 });

    let answered: () => void = () => undefined;
    async function* pings() {
      for (let i = 0; i < 10; i++) {
        const next = new Promise<void>((resolve) => {
          answered = resolve;
        });
        yield { text: `ping ${i}` };
        await next;
      }
    }
    const answers: string[] = [];
    for await (const answer of client.echo(pings())) {
      answers.push(answer.text);
      answered();
    }
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => `echo ping ${i}`));
  });

  it("an error mid-stream: the end-stream message's code, message, details and metadata", async () => {
    const { client } = await serve({
      async *count() {
        yield { index: 0 };
        yield { index: 1 };
        throw new ConnectError("no more ticks", Code.ResourceExhausted, { "x-error-meta": "m" }, [
          { desc: ErrorInfoSchema, value: { reason: "TICKS_EXHAUSTED", domain: "test" } },
        ]);
      },
    });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({ count: 5 })) seen.push(tick.index);
    })();
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(seen).toEqual([0, 1]);
    expect(error.rawMessage).toBe("no more ticks");
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("TICKS_EXHAUSTED");
    expect(error.metadata.get("x-error-meta")).toBe("m");
  });

  it("a deadline ends a long stream with DEADLINE_EXCEEDED, and the server's call is aborted", async () => {
    let serverAborted: Promise<void> | undefined;
    const { client } = await serve({
      async *count(_request, context) {
        serverAborted = aborted(context);
        yield { index: 0 };
        await serverAborted;
      },
    });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({}, { timeoutMs: 500 })) seen.push(tick.index);
    })();
    await rejection(reading, Code.DeadlineExceeded);
    expect(seen).toEqual([0]);
    await serverAborted;
  });

  it("the caller's cancel mid-stream: CANCELED, the server's call aborted, the stream freed", async () => {
    let serverAborted: Promise<void> | undefined;
    const { client, pool } = await serve({
      async *count(_request, context) {
        serverAborted = aborted(context);
        for (let index = 0; !context.signal.aborted; index++) yield { index };
      },
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({}, { signal: controller.signal })) {
        seen.push(tick.index);
        if (seen.length === 3) controller.abort();
      }
    })();
    await rejection(reading, Code.Canceled);
    expect(seen).toEqual([0, 1, 2]);
    await serverAborted;
    await expect.poll(() => streamsInFlight(pool)).toBe(0);
  });

  it("a reader that stops early (break) cancels the stream and frees its connection", async () => {
    let serverAborted: Promise<void> | undefined;
    const { transport, pool } = await serve({
      async *count(_request, context) {
        serverAborted = aborted(context);
        for (let index = 0; !context.signal.aborted; index++) yield { index };
      },
    });
    const response = await transport.stream(
      StreamTestService.method.count,
      undefined,
      undefined,
      undefined,
      (async function* () {
        yield create(CountRequestSchema, {});
      })(),
    );
    let seen = 0;
    for await (const _ of response.message) {
      if (++seen === 3) break;
    }
    await serverAborted;
    await expect.poll(() => streamsInFlight(pool)).toBe(0);
  });

  it("flow control: connect-node writing to a reader that stopped reading is held by the window", async () => {
    const total = 5_000;
    let yielded = 0;
    const { transport } = await serve({
      async *count(request) {
        for (let index = 0; index < request.count; index++) {
          // Random, so that gzip (which connect-node applies past 1 KiB) leaves it about as large.
          yield { index, payload: randomBytes(3072).toString("base64") };
          yielded++;
        }
      },
    });
    const response = await transport.stream(
      StreamTestService.method.count,
      undefined,
      undefined,
      undefined,
      (async function* () {
        yield create(CountRequestSchema, { count: total });
      })(),
    );
    const reader = response.message[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < 3; i++) expect((await reader.next()).done).toBe(false);
      // 5,000 messages of 4 KiB are 20 MB: without flow control reaching the server, it would
      // write them all into buffers at once.
      expect(await untilSteady(() => yielded)).toBeLessThan(total / 10);
      let read = 3;
      for (let r = await reader.next(); !r.done; r = await reader.next()) read++;
      expect(read).toBe(total);
    } finally {
      await reader.return?.();
    }
  });

  it("a message past readMaxBytes is RESOURCE_EXHAUSTED, and the server's call is aborted", async () => {
    let serverAborted: Promise<void> | undefined;
    const { client } = await serve(
      {
        async *count(_request, context) {
          serverAborted = aborted(context);
          for (let index = 0; !context.signal.aborted; index++) {
            // Random, so that it is past the limit on the wire too, should connect-node gzip it.
            yield { index, payload: randomBytes(index === 2 ? 1500 : 75).toString("base64") };
          }
        },
      },
      1024,
    );
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({})) seen.push(tick.index);
    })();
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/readMaxBytes \(1024\)/);
    expect(seen).toEqual([0, 1]);
    await serverAborted;
  });

  it("gzip one way: connect-node's gzipped messages are read; ours go plain, naming no encoding", async () => {
    const { url } = await startConnectStreamServer({
      async *count(request) {
        for (let index = 0; index < request.count; index++) {
          yield { index, payload: "x".repeat(request.payloadChars) };
        }
      },
      async add(requests, context) {
        let total = 0;
        let count = 0;
        for await (const r of requests) {
          total += r.value + r.payload.length;
          count++;
        }
        context.responseHeader.set(
          "x-request-encoding",
          context.requestHeader.get("connect-content-encoding") ?? "none",
        );
        return { total, count };
      },
    });
    const pool = open.createPool(url);
    const client = createClient(
      StreamTestService,
      streamTransport(url, pool, createHttp2JsonStreamSender, writeConnectDeadline, {
        compressMinBytes: 100,
      }),
    );
    // connect-node gzips messages of 1 KiB and more when the client accepts gzip.
    let header: Headers | undefined;
    const payloads: string[] = [];
    for await (const tick of client.count(
      { count: 10, payloadChars: 5000 },
      { onHeader: (h) => (header = h) },
    )) {
      payloads.push(tick.payload);
    }
    expect(header?.get("connect-content-encoding")).toBe("gzip");
    expect(payloads).toEqual(Array.from({ length: 10 }, () => "x".repeat(5000)));

    async function* addends() {
      yield { value: 1, payload: "y".repeat(10_000) };
      yield { value: 2 };
    }
    let addHeader: Headers | undefined;
    const sum = await client.add(addends(), { onHeader: (h) => (addHeader = h) });
    expect(sum).toMatchObject({ total: 10_003, count: 2 });
    // A stream names its encoding before its messages are known: a server without gzip would
    // refuse the stream for the name alone, so request messages go uncompressed.
    expect(addHeader?.get("x-request-encoding")).toBe("none");
  });
});

describe("Connect JSON streams on the wire", () => {
  /** An envelope of `json`, gzipped when `flags` says so. */
  function envelope(json: unknown, flags = 0): Buffer {
    const text = Buffer.from(typeof json === "string" ? json : JSON.stringify(json));
    const data = flags & 1 ? gzipSync(text) : text;
    const prefix = Buffer.alloc(5);
    prefix[0] = flags;
    prefix.writeUInt32BE(data.byteLength, 1);
    return Buffer.concat([prefix, data]);
  }

  /** Answers a Connect stream's headers. */
  function respond(stream: ServerHttp2Stream, headers: Record<string, string> = {}): void {
    stream.respond({
      ":status": 200,
      "content-type": "application/connect+json",
      ...headers,
    });
  }

  /** A Count call to a peer answering with `handler`, from an endpoint that compresses. */
  async function countFrom(handler: (stream: ServerHttp2Stream) => void) {
    const peer = await open.startPeer(handler);
    const client = createClient(
      StreamTestService,
      streamTransport(
        peer.url,
        open.createPool(peer.url),
        createHttp2JsonStreamSender,
        writeConnectDeadline,
        { compressMinBytes: 8192 },
      ),
    );
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({ count: 3 })) seen.push(tick.index);
    })();
    return { peer, seen, reading };
  }

  it("sends Connect's streaming headers, and reads the end-stream message's metadata", async () => {
    const { peer, seen, reading } = await countFrom((stream) => {
      respond(stream);
      stream.write(envelope({ index: 0 }));
      stream.end(envelope({ metadata: { "x-trailer": ["t"] } }, 2));
    });
    await reading;
    expect(seen).toEqual([0]);
    const headers = peer.streams[0]?.headers ?? {};
    expect(headers["content-type"]).toBe("application/connect+json");
    expect(headers["connect-protocol-version"]).toBe("1");
    expect(headers["connect-accept-encoding"]).toBe("gzip");
    expect(headers["connect-timeout-ms"]).toBeUndefined();
  });

  it("an error answered before streaming, as a unary JSON error body, is that error", async () => {
    const { reading } = await countFrom((stream) => {
      stream.respond({ ":status": 429, "content-type": "application/json" });
      stream.end(JSON.stringify({ code: "resource_exhausted", message: "slow down" }));
    });
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(error.rawMessage).toBe("slow down");
  });

  it("a stream that ends without its end-stream message is INTERNAL", async () => {
    const { reading } = await countFrom((stream) => {
      respond(stream);
      stream.end(envelope({ index: 0 }));
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/end-stream message/);
  });

  it("a gzipped message that would inflate to 1 GiB is RESOURCE_EXHAUSTED", async () => {
    const bomb = gzipBomb(1024 ** 3);
    const { seen, reading } = await countFrom((stream) => {
      respond(stream, { "connect-content-encoding": "gzip" });
      stream.write(envelope({ index: 0 }, 1));
      const prefix = Buffer.from([1, 0, 0, 0, 0]);
      prefix.writeUInt32BE(bomb.byteLength, 1);
      stream.write(Buffer.concat([prefix, bomb]));
    });
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/larger than 4194304 bytes once decompressed/);
    expect(seen).toEqual([0]);
  });

  it("a connection cut mid-stream is UNAVAILABLE, with a cause the retry policy calls a reset", async () => {
    const { peer, seen, reading } = await countFrom((stream) => {
      respond(stream);
      stream.write(envelope({ index: 0 }));
    });
    await expect.poll(() => seen.length).toBe(1);
    peer.resetConnections();
    const error = await rejection(reading, Code.Unavailable);
    expect(failureKind(error)).toBe("reset");
    expect(isTransient(error, true, undefined)).toBe(true);
  });

  it("a stream the server resets mid-stream is a reset, after the messages before it", async () => {
    const { seen, reading } = await countFrom((stream) => {
      respond(stream);
      // destroy() with an error resets the stream (RST_STREAM INTERNAL_ERROR), where close()
      // would end the body first.
      stream.write(envelope({ index: 0 }), () => stream.destroy(new Error("the server gave up")));
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/NGHTTP2_INTERNAL_ERROR/);
    expect(failureKind(error)).toBe("reset");
    expect(seen).toEqual([0]);
  });

  it("a body that ends short, without its end-stream message, is INTERNAL", async () => {
    const { seen, reading } = await countFrom((stream) => {
      respond(stream);
      // close() ends the body, then resets the stream if the request is still open.
      stream.write(envelope({ index: 0 }), () => stream.close(constants.NGHTTP2_CANCEL));
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/end-stream message/);
    expect(seen).toEqual([0]);
  });
});
