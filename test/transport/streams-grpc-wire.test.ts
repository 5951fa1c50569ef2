// gRPC streams on the wire, against a purpose-built HTTP/2 peer that writes frames by hand and
// records what it got: a connection cut mid-stream, a gzip bomb, the request's compression as
// sent, an unknown encoding, a refused stream sent again (or not), and a long quiet stream whose
// connection the pool keeps alive with pings.
import { constants, type ServerHttp2Stream } from "node:http2";
import { resourceUsage } from "node:process";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { writeGrpcDeadline } from "../../src/policy/deadline-header.js";
import { failureKind, isTransient } from "../../src/policy/transient.js";
import { createGrpcStreamSender } from "../../src/transport/grpc-stream-protocol.js";
import {
  AddRequestSchema,
  AddResponseSchema,
  CountResponseSchema,
  StreamTestService,
} from "../gen/streamtest/v1/stream_test_pb.js";
import { rejection } from "../support/errors.js";
import { useTransportFixtures } from "./fixtures.js";
import { grpcFrame, type PeerHandler } from "./grpc-peer.js";
import { gzipBomb, streamTransport } from "./stream-fixtures.js";

const open = useTransportFixtures();

/** A framed tick. */
function tick(index: number, flags = 0): Buffer {
  const bytes = toBinary(CountResponseSchema, create(CountResponseSchema, { index }));
  return grpcFrame(flags ? gzipSync(bytes) : bytes, flags);
}

/** Sends the response headers (gRPC, 200) of a stream that will have trailers. */
function respond(stream: ServerHttp2Stream, headers: Record<string, string> = {}): void {
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", ...headers },
    { waitForTrailers: true },
  );
}

/** Ends a stream with an OK status. */
function endOk(stream: ServerHttp2Stream): void {
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end();
}

/** The body of a stream as it arrives, whole once the client ended it. */
function bodyOf(stream: ServerHttp2Stream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.on("end", () => resolve(Buffer.concat(chunks))));
}

/** The envelopes of a body: flags and bytes. */
function envelopesOf(body: Buffer): { flags: number; data: Buffer }[] {
  const envelopes: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at < body.byteLength; ) {
    const length = body.readUInt32BE(at + 1);
    envelopes.push({ flags: body[at] as number, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return envelopes;
}

/**
 * A Count call to a peer answering with `handler`, from an endpoint that compresses (and so
 * accepts gzipped answers) unless `compressMinBytes` is false.
 */
async function countFrom(
  handler: PeerHandler,
  { poolOptions = {}, compressMinBytes = 8192 as number | false } = {},
) {
  const peer = await open.startPeer(handler);
  const pool = open.createPool(peer.url, poolOptions);
  const client = createClient(
    StreamTestService,
    streamTransport(peer.url, pool, createGrpcStreamSender, writeGrpcDeadline, {
      compressMinBytes: compressMinBytes === false ? undefined : compressMinBytes,
    }),
  );
  const seen: number[] = [];
  const reading = (async () => {
    for await (const t of client.count({ count: 3 })) seen.push(t.index);
  })();
  return { peer, pool, seen, reading };
}

describe("gRPC streams on the wire", () => {
  it.each([
    ["a grpc-message that is not percent-encoding", { "grpc-message": "quota 100% used" }],
    ["details that do not decode", { "grpc-message": "quota", "grpc-status-details-bin": "AAAA" }],
  ])("keeps the status of %s, trailers-only or in trailers, and does not crash", async (_, bad) => {
    for (const where of ["trailers-only", "trailers"]) {
      const { reading } = await countFrom((stream) => {
        const status = { "grpc-status": "8", ...bad };
        if (where === "trailers-only") {
          stream.respond(
            { ":status": 200, "content-type": "application/grpc", ...status },
            {
              endStream: true,
            },
          );
          return;
        }
        respond(stream);
        stream.write(tick(0));
        stream.on("wantTrailers", () => stream.sendTrailers(status));
        stream.end();
      });
      const error = await rejection(reading, Code.ResourceExhausted);
      expect(error.rawMessage).toMatch(/^quota/);
    }
  });

  it("a connection cut mid-stream is UNAVAILABLE, with a cause the retry policy calls a reset", async () => {
    const { peer, seen, reading } = await countFrom((stream) => {
      respond(stream);
      stream.write(tick(0));
    });
    await expect.poll(() => seen.length).toBe(1);
    peer.resetConnections();
    const error = await rejection(reading, Code.Unavailable);
    expect(failureKind(error)).toBe("reset");
    expect(isTransient(error, true, undefined)).toBe(true);
  });

  it("a gzipped message that would inflate to 1 GiB is RESOURCE_EXHAUSTED, without inflating it", async () => {
    const bomb = gzipBomb(1024 ** 3);
    const before = resourceUsage().maxRSS;
    const { seen, reading } = await countFrom((stream) => {
      respond(stream, { "grpc-encoding": "gzip" });
      stream.write(tick(0, 1));
      stream.write(grpcFrame(bomb, 1));
    });
    const error = await rejection(reading, Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/larger than 4194304 bytes once decompressed/);
    expect(seen).toEqual([0]);
    // The peak memory of the process (kB) did not grow by anything near the gibibyte.
    expect(resourceUsage().maxRSS - before).toBeLessThan(256 * 1024);
  });

  it("a compressed message in a response that names no encoding is INTERNAL", async () => {
    const { reading } = await countFrom((stream) => {
      respond(stream);
      stream.write(tick(0, 1));
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/compressed message/);
  });

  it("a body that ends inside a message is INTERNAL, whatever its status", async () => {
    const { seen, reading } = await countFrom((stream) => {
      respond(stream);
      stream.write(tick(0));
      stream.write(tick(1).subarray(0, 4));
      endOk(stream);
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/ended 4 bytes into a message/);
    expect(seen).toEqual([0]);
  });

  it("a response in an encoding the request did not offer is INTERNAL", async () => {
    const { reading } = await countFrom((stream) => {
      respond(stream, { "grpc-encoding": "br" });
      stream.write(tick(0));
    });
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/unsupported response encoding "br"/);
  });

  it("an endpoint without compression offers none, and refuses a gzipped answer", async () => {
    const { peer, reading } = await countFrom(
      (stream) => {
        respond(stream, { "grpc-encoding": "gzip" });
        stream.write(tick(0, 1));
      },
      { compressMinBytes: false },
    );
    const error = await rejection(reading, Code.Internal);
    expect(error.rawMessage).toMatch(/unsupported response encoding "gzip"/);
    expect(peer.streams[0]?.headers["grpc-accept-encoding"]).toBeUndefined();
    expect(peer.streams[0]?.headers["grpc-encoding"]).toBeUndefined();
  });

  it("request messages go plain under no grpc-encoding, large ones too, and gzip is offered for answers", async () => {
    const bodies: Promise<Buffer>[] = [];
    const peer = await open.startPeer((stream) => {
      bodies.push(bodyOf(stream));
      stream.on("end", () => {
        respond(stream);
        stream.write(grpcFrame(toBinary(AddResponseSchema, create(AddResponseSchema))));
        endOk(stream);
      });
    });
    const pool = open.createPool(peer.url);
    const client = createClient(
      StreamTestService,
      streamTransport(peer.url, pool, createGrpcStreamSender, writeGrpcDeadline, {
        compressMinBytes: 100,
      }),
    );
    async function* addends() {
      yield { value: 1, payload: "y".repeat(1000) };
      yield { value: 2 };
    }
    await client.add(addends());
    const headers = peer.streams[0]?.headers ?? {};
    // A server without gzip refuses a stream that names it, whatever its messages' flags say.
    expect(headers["grpc-encoding"]).toBeUndefined();
    expect(headers["grpc-accept-encoding"]).toBe("gzip");
    expect(headers["grpc-timeout"]).toBeUndefined();
    const [big, small] = envelopesOf(await (bodies[0] as Promise<Buffer>));
    expect(big?.flags).toBe(0);
    expect(fromBinary(AddRequestSchema, big?.data ?? Buffer.alloc(0))).toMatchObject({
      value: 1,
      payload: "y".repeat(1000),
    });
    expect(small?.flags).toBe(0);
    expect(fromBinary(AddRequestSchema, small?.data ?? Buffer.alloc(0)).value).toBe(2);
  });

  it("a server stream refused unprocessed (REFUSED_STREAM) is sent again on a fresh connection", async () => {
    const { peer, seen, reading } = await countFrom((stream) => {
      if (peer.streams.length === 1) {
        // Refused, and the connection goes away as a draining server's does.
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        stream.session?.goaway();
        return;
      }
      respond(stream);
      stream.write(tick(0));
      endOk(stream);
    });
    await reading;
    expect(seen).toEqual([0]);
    expect(peer.streams.map((s) => s.connection)).toEqual([0, 1]);
  });

  it("a client stream refused after two messages is not sent again: UNAVAILABLE", async () => {
    const peer = await open.startPeer((stream) => {
      let received = 0;
      stream.on("data", (chunk: Buffer) => {
        received += chunk.byteLength;
        // Two envelopes of 7 bytes (prefix and { value }) each.
        if (received >= 14 && !stream.closed) stream.close(constants.NGHTTP2_REFUSED_STREAM);
      });
    });
    const client = createClient(StreamTestService, open.createTransport({ baseUrl: peer.url }));
    async function* addends() {
      yield { value: 1 };
      yield { value: 2 };
      // And no end: the third message would come later.
      await new Promise(() => undefined);
    }
    const error = await rejection(client.add(addends()), Code.Unavailable);
    expect(error.rawMessage).toMatch(/REFUSED_STREAM/);
    expect(peer.streams).toHaveLength(1);
  });

  it("a long quiet stream keeps its connection: the pool pings it and does not idle it out", async () => {
    const { peer, pool, seen, reading } = await countFrom(
      (stream) => {
        respond(stream);
        stream.write(tick(0));
        // Then quiet until the client has pinged a few times.
        const waitForPings = setInterval(() => {
          if (peer.pingsReceived < 3 || stream.closed) return;
          clearInterval(waitForPings);
          stream.write(tick(1));
          endOk(stream);
        }, 20);
      },
      { poolOptions: { pingIntervalMs: 50, idleTimeoutMs: 50 } },
    );
    await reading;
    expect(seen).toEqual([0, 1]);
    expect(peer.sessionsOpened).toBe(1);
    expect(pool.size).toBe(1);
  });
});
