// Streaming RPCs over the HTTP/2 gRPC transport, held to @grpc/grpc-js as the server: server,
// client and bidirectional streams, deadlines and cancellation ending them (the server sees its
// call cancelled), a reader that stops early, HTTP/2 flow control holding back a fast server,
// statuses with details, the read limit, and gzip both ways (grpc-js reads our gzipped requests;
// connect-node's gRPC sends the gzipped answers, as grpc-js's server compresses none).
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { writeGrpcDeadline } from "../../src/policy/deadline-header.js";
import { createGrpcStreamSender } from "../../src/transport/grpc-stream-protocol.js";
import { CountRequestSchema, StreamTestService } from "../gen/streamtest/v1/stream_test_pb.js";
import { rejection } from "../support/errors.js";
import { startConnectStreamServer } from "./connect-stream-server.js";
import { useTransportFixtures } from "./fixtures.js";
import {
  type CountResponse,
  type StreamTestHandlers,
  startGrpcJsServer,
  writeRespectingFlowControl,
} from "./grpc-js-stream-server.js";
import { streamsInFlight, streamTransport, untilSteady } from "./stream-fixtures.js";

const open = useTransportFixtures();

/** A grpc-js server of `handlers` and a client of it over a new transport (and pool). */
async function serve(handlers: StreamTestHandlers, options: grpc.ServerOptions = {}) {
  const server = await startGrpcJsServer(handlers, options);
  const pool = open.createPool(server.url);
  const transport = open.createTransport({ baseUrl: server.url, pool });
  return { server, pool, transport, client: createClient(StreamTestService, transport) };
}

/** A Count handler writing `count` ticks (or until cancelled), respecting flow control. */
function ticks(record: { written: number; cancelled: boolean } = { written: 0, cancelled: false }) {
  return async (
    call: grpc.ServerWritableStream<{ count: number; payloadChars: number }, CountResponse>,
  ) => {
    call.on("cancelled", () => {
      record.cancelled = true;
    });
    for (let index = 0; index < call.request.count && !record.cancelled; index++) {
      await writeRespectingFlowControl(call, {
        index,
        payload: "x".repeat(call.request.payloadChars),
      });
      record.written++;
    }
    if (!record.cancelled) call.end();
  };
}

describe("gRPC streams against grpc-js", () => {
  it("server streaming: every message in order, then the trailers", async () => {
    const { client } = await serve({ count: ticks() });
    let trailer: Headers | undefined;
    const indexes: number[] = [];
    for await (const tick of client.count(
      { count: 200, payloadChars: 10 },
      { onTrailer: (t) => (trailer = t) },
    )) {
      indexes.push(tick.index);
    }
    expect(indexes).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(trailer?.get("grpc-status")).toBe("0");
  });

  it("client streaming: the server sums every message written", async () => {
    const { client } = await serve({
      add(call, callback) {
        let total = 0;
        let count = 0;
        call.on("data", (m: { value: number }) => {
          total += m.value;
          count++;
        });
        call.on("end", () => callback(null, { total, count }));
      },
    });
    async function* values() {
      for (let value = 1; value <= 100; value++) yield { value };
    }
    const sum = await client.add(values());
    expect(sum).toMatchObject({ total: 5050, count: 100 });
  });

  it("bidirectional: ping-pong, each message written only after the answer to the one before", async () => {
    const { client } = await serve({
      echo(call) {
        call.on("data", (m: { text: string }) => call.write({ text: `echo ${m.text}` }));
        call.on("end", () => call.end());
      },
    });
    const answers: string[] = [];
    let answered: () => void = () => undefined;
    async function* pings() {
      for (let i = 0; i < 20; i++) {
        const next = new Promise<void>((resolve) => {
          answered = resolve;
        });
        yield { text: `ping ${i}` };
        await next;
      }
    }
    for await (const answer of client.echo(pings())) {
      answers.push(answer.text);
      answered();
    }
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => `echo ping ${i}`));
  });

  it("a deadline ends a long stream with DEADLINE_EXCEEDED, after the messages before it", async () => {
    const record = { written: 0, cancelled: false };
    const { client } = await serve({
      count(call) {
        call.on("cancelled", () => {
          record.cancelled = true;
        });
        call.write({ index: 0, payload: "" });
        // Then nothing: a stream that would last forever.
      },
    });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({ count: 1 }, { timeoutMs: 500 }))
        seen.push(tick.index);
    })();
    await rejection(reading, Code.DeadlineExceeded);
    expect(seen).toEqual([0]);
    await expect.poll(() => record.cancelled).toBe(true);
  });

  it("sends no deadline when the call has none", async () => {
    let deadline: grpc.Deadline | undefined;
    const { client } = await serve({
      count(call) {
        deadline = call.getDeadline();
        call.end();
      },
    });
    for await (const _ of client.count({ count: 0 })) {
      // none
    }
    expect(deadline).toBe(Number.POSITIVE_INFINITY);
  });

  it("the caller's cancel mid-stream: CANCELED, and the server sees its call cancelled", async () => {
    const record = { written: 0, cancelled: false };
    const { client, pool } = await serve({ count: ticks(record) });
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({ count: 1_000_000 }, { signal: controller.signal })) {
        seen.push(tick.index);
        if (seen.length === 3) controller.abort();
      }
    })();
    await rejection(reading, Code.Canceled);
    expect(seen).toEqual([0, 1, 2]);
    await expect.poll(() => record.cancelled).toBe(true);
    await expect.poll(() => streamsInFlight(pool)).toBe(0);
  });

  it("a reader that stops early (break) cancels the stream and frees its connection", async () => {
    const record = { written: 0, cancelled: false };
    const { transport, pool } = await serve({ count: ticks(record) });
    // The transport's own stream: connect's client gives for-await an iterator without return(),
    // so a `break` there cannot reach the transport (stop such a stream with its signal).
    const response = await transport.stream(
      StreamTestService.method.count,
      undefined,
      undefined,
      undefined,
      (async function* () {
        yield create(CountRequestSchema, { count: 1_000_000 });
      })(),
    );
    let seen = 0;
    for await (const _ of response.message) {
      if (++seen === 3) break;
    }
    await expect.poll(() => record.cancelled).toBe(true);
    await expect.poll(() => streamsInFlight(pool)).toBe(0);
  });

  it("flow control: a server writing to a reader that stopped reading is held by the window", async () => {
    const total = 5_000;
    const record = { written: 0, cancelled: false };
    const { transport, pool } = await serve({ count: ticks(record) });
    const response = await transport.stream(
      StreamTestService.method.count,
      undefined,
      undefined,
      undefined,
      (async function* () {
        yield create(CountRequestSchema, { count: total, payloadChars: 4096 });
      })(),
    );
    const reader = response.message[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < 3; i++) expect((await reader.next()).done).toBe(false);
      // The reader stops pulling. 5,000 messages of 4 KiB are 20 MB: without flow control
      // reaching the server, it would write them all into buffers at once.
      expect(await untilSteady(() => record.written)).toBeLessThan(total / 10);
      // Reading again lets the server go on, to the end.
      let read = 3;
      for (let r = await reader.next(); !r.done; r = await reader.next()) read++;
      expect(read).toBe(total);
    } finally {
      await reader.return?.();
    }
    await expect.poll(() => streamsInFlight(pool)).toBe(0);
  });

  it("an error mid-stream: its code, message, details and trailers, after the messages before it", async () => {
    const { client } = await serve({
      count(call) {
        call.write({ index: 0, payload: "" });
        call.write({ index: 1, payload: "" });
        const detailed = new ConnectError("no more ticks", Code.ResourceExhausted, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "TICKS_EXHAUSTED", domain: "test" } },
        ]);
        const status = setTrailerStatus(new Headers(), detailed);
        const metadata = new grpc.Metadata();
        metadata.set(
          "grpc-status-details-bin",
          Buffer.from(status.get("grpc-status-details-bin") ?? "", "base64"),
        );
        metadata.set("x-trailer", "t");
        call.emit("error", {
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: "no more ticks",
          metadata,
        });
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
    expect(error.metadata.get("x-trailer")).toBe("t");
  });

  it("a trailers-only error fails the call before any message", async () => {
    const { client, transport } = await serve({
      count(call) {
        call.emit("error", { code: grpc.status.PERMISSION_DENIED, details: "not yours" });
      },
    });
    const reading = (async () => {
      for await (const _ of client.count({ count: 5 })) {
        // none
      }
    })();
    const error = await rejection(reading, Code.PermissionDenied);
    expect(error.rawMessage).toBe("not yours");
    // The transport's own call rejects: there is no stream to read.
    await rejection(
      transport.stream(
        StreamTestService.method.count,
        undefined,
        undefined,
        undefined,
        (async function* () {
          yield create(CountRequestSchema, { count: 5 });
        })(),
      ),
      Code.PermissionDenied,
    );
  });

  it("a message past readMaxBytes is RESOURCE_EXHAUSTED, and the stream is cancelled", async () => {
    const record = { written: 0, cancelled: false };
    const server = await startGrpcJsServer({
      async count(call) {
        call.on("cancelled", () => {
          record.cancelled = true;
        });
        // 100 characters, then 2,000 (over the limit), then 100 again until cancelled.
        for (let index = 0; !record.cancelled; index++) {
          await writeRespectingFlowControl(call, {
            index,
            payload: "x".repeat(index === 2 ? 2000 : 100),
          });
        }
      },
    });
    const client = createClient(
      StreamTestService,
      open.createTransport({ baseUrl: server.url, readMaxBytes: 1024 }),
    );
    const seen: number[] = [];
    const reading = (async () => {
      for await (const tick of client.count({})) seen.push(tick.index);
    })();
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/readMaxBytes \(1024\)/);
    expect(seen).toEqual([0, 1]);
    await expect.poll(() => record.cancelled).toBe(true);
  });

  it("gzip requests: messages of at least compressMinBytes go gzipped, and grpc-js reads them", async () => {
    const { url } = await startGrpcJsServer({
      add(call, callback) {
        let total = 0;
        let count = 0;
        call.on("data", (m: { value: number; payload: string }) => {
          total += m.value + m.payload.length;
          count++;
        });
        call.on("end", () => callback(null, { total, count }));
      },
    });
    const pool = open.createPool(url);
    const client = createClient(
      StreamTestService,
      streamTransport(url, pool, createGrpcStreamSender, writeGrpcDeadline, {
        compressMinBytes: 100,
      }),
    );
    async function* addends() {
      yield { value: 1, payload: "y".repeat(10_000) };
      yield { value: 2, payload: "" };
    }
    // The first is gzipped (streams-grpc-wire.test.ts looks at the bytes), the second is not.
    expect(await client.add(addends())).toMatchObject({ total: 10_003, count: 2 });
  });

  it("gzip answers: a server's compressed messages (connect-node's gRPC) are read", async () => {
    // grpc-js 1.14 does not compress what its server sends (server-interceptors.js: "response
    // compression is currently not supported"), so connect-node serves gRPC here.
    const { url } = await startConnectStreamServer({
      async *count(request) {
        for (let index = 0; index < request.count; index++) {
          yield { index, payload: "x".repeat(request.payloadChars) };
        }
      },
    });
    const client = createClient(
      StreamTestService,
      streamTransport(url, open.createPool(url), createGrpcStreamSender, writeGrpcDeadline, {
        compressMinBytes: 8192,
      }),
    );
    let header: Headers | undefined;
    const payloads: string[] = [];
    for await (const tick of client.count(
      { count: 10, payloadChars: 5000 },
      { onHeader: (h) => (header = h) },
    )) {
      payloads.push(tick.payload);
    }
    expect(header?.get("grpc-encoding")).toBe("gzip");
    expect(payloads).toEqual(Array.from({ length: 10 }, () => "x".repeat(5000)));
  });
});
