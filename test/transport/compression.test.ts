// gzip on the three transports, seen from outside: a plain node:http2 / node:http peer records
// the bytes each client sends (gzipped from compressMinBytes on, with the protocol's header, as
// they are below it, gzip offered on every request unless compression is off) and answers
// gzipped responses the client must read, within readMaxBytes once inflated: a response that
// would inflate to 1 GiB is RESOURCE_EXHAUSTED without the client's memory growing by it.
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  create,
  type DescMessage,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  CreateMemoryRequestSchema,
  GetMemoryResponseSchema,
  MemoryService,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { TransportOptions } from "../../src/transport/index.js";
import { rejection } from "../support/errors.js";
import { gzipBomb, peakMemoryGrowth } from "../support/gzip-bomb.js";
import {
  encodingHeaders,
  type PeerAnswer,
  sentMessage,
  sentRequest,
  startPeer,
  type Wire,
  wires,
} from "./compression-peer.js";

const memoryId = "8f3d2a71-4c6e-4b9a-a2d5-7e1f0c9b3a42";
const embedding = Array.from({ length: 1536 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 0.5));
const memoryResponse = create(GetMemoryResponseSchema, {
  memory: { id: memoryId, scope: { user_id: "u1" }, fact: "likes green tea", embedding },
});
const createRequest = create(CreateMemoryRequestSchema, {
  scope: { user_id: "u1" },
  fact: "likes green tea",
  embedding,
});
const mebibyte = 1024 * 1024;

/** A message as the wire carries it: protobuf for gRPC, JSON text for Connect. */
function encoded<Desc extends DescMessage>(
  wire: Wire,
  schema: Desc,
  message: MessageShape<Desc>,
): Buffer {
  return wire.protocol === "grpc"
    ? Buffer.from(toBinary(schema, message))
    : Buffer.from(toJsonString(schema, message));
}

describe.each(wires)("$name", (wire) => {
  const { encoding, accept } = encodingHeaders(wire);
  const plain = (): PeerAnswer => ({
    body: encoded(wire, GetMemoryResponseSchema, memoryResponse),
  });
  const gzipped = (body: Uint8Array = plain().body): PeerAnswer => ({
    body: gzipSync(body),
    encoding: "gzip",
  });

  function memoryClient(baseUrl: string, options: Partial<TransportOptions> = {}) {
    const transport = wire.createTransport({ baseUrl, ...options });
    onTestFinished(() => transport.close());
    return createClient(MemoryService, transport);
  }

  it("offers gzip on a request and sends one below compressMinBytes as it is", async () => {
    const peer = await startPeer(wire, plain);
    await memoryClient(peer.url).getMemory({ id: memoryId });
    const [request] = peer.requests;
    if (request === undefined) throw new Error("no request reached the peer");
    expect(request.headers[accept]).toBe("gzip");
    expect(request.headers[encoding]).toBeUndefined();
    expect(sentMessage(wire, request).gzipped).toBe(false);
  });

  it("gzips a request of compressMinBytes bytes and names gzip; one byte short goes as it is", async () => {
    const peer = await startPeer(wire, plain);
    // Its size as this client encodes it, measured on the wire with compression off.
    await memoryClient(peer.url, { compressMinBytes: false }).createMemory(createRequest);
    const size = sentMessage(wire, peer.requests[0] as never).bytes.byteLength;
    await memoryClient(peer.url, { compressMinBytes: size }).createMemory(createRequest);
    await memoryClient(peer.url, { compressMinBytes: size + 1 }).createMemory(createRequest);
    const [, atLimit, belowIt] = peer.requests;
    if (atLimit === undefined || belowIt === undefined) throw new Error("requests missing");

    expect(atLimit.headers[encoding]).toBe("gzip");
    const sent = sentMessage(wire, atLimit);
    expect(sent.gzipped).toBe(true);
    expect(sent.bytes.byteLength).toBe(size);
    expect(atLimit.body.byteLength).toBeLessThan(size);
    expect(sentRequest(wire, atLimit, CreateMemoryRequestSchema)).toEqual(createRequest);
    if (wire.httpVersion === "1.1") {
      expect(Number(atLimit.headers["content-length"])).toBe(atLimit.body.byteLength);
    }

    expect(belowIt.headers[encoding]).toBeUndefined();
    expect(belowIt.headers[accept]).toBe("gzip");
    expect(sentMessage(wire, belowIt).gzipped).toBe(false);
  });

  it("by default gzips from 8 KiB: a 1536-float memory as JSON (31 KB), not in protobuf (6.2 KB)", async () => {
    const peer = await startPeer(wire, plain);
    await memoryClient(peer.url).createMemory(createRequest);
    const sent = sentMessage(wire, peer.requests[0] as never);
    expect(sent.bytes.byteLength > 8192).toBe(wire.protocol === "json");
    expect(sent.gzipped).toBe(wire.protocol === "json");
  });

  it("with compressMinBytes false, offers no gzip and sends every request as it is", async () => {
    const peer = await startPeer(wire, plain);
    await memoryClient(peer.url, { compressMinBytes: false }).createMemory(createRequest);
    const [request] = peer.requests;
    if (request === undefined) throw new Error("no request reached the peer");
    expect(request.headers[accept]).toBeUndefined();
    expect(request.headers[encoding]).toBeUndefined();
    expect(sentMessage(wire, request).gzipped).toBe(false);
  });

  it("reads a gzipped response", async () => {
    const peer = await startPeer(wire, () => gzipped());
    const answer = await memoryClient(peer.url).getMemory({ id: memoryId });
    expect(answer.memory?.embedding).toEqual(embedding);
  });

  it("holds a gzipped response to readMaxBytes once inflated: the limit passes, a byte more is RESOURCE_EXHAUSTED", async () => {
    const size = plain().body.byteLength;
    const peer = await startPeer(wire, () => gzipped());
    await memoryClient(peer.url, { readMaxBytes: size }).getMemory({ id: memoryId });
    const error = await rejection(
      memoryClient(peer.url, { readMaxBytes: size - 1 }).getMemory({ id: memoryId }),
      Code.ResourceExhausted,
    );
    expect(error.rawMessage).toMatch(/once decompressed/);
  });

  it("holds the compressed bytes to readMaxBytes too, as they arrive", async () => {
    // Random bytes do not compress: their gzip (a few bytes longer) passes a limit that the
    // bytes themselves would fit in, so only the bound on arrival can refuse it.
    const noise = randomBytes(4096);
    const peer = await startPeer(wire, () => gzipped(noise));
    const client = memoryClient(peer.url, { readMaxBytes: noise.byteLength + 4 });
    const error = await rejection(client.getMemory({ id: memoryId }), Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/larger than readMaxBytes/);
  });

  it("refuses a response that would inflate to 1 GiB with RESOURCE_EXHAUSTED, without inflating it", async () => {
    const bomb = gzipBomb(plain().body, 0x20);
    expect(bomb.byteLength).toBeLessThan(2 * mebibyte);
    const peer = await startPeer(wire, () => ({ body: bomb, encoding: "gzip" }));
    const client = memoryClient(peer.url);
    const grew = await peakMemoryGrowth(() =>
      rejection(client.getMemory({ id: memoryId }), Code.ResourceExhausted),
    );
    // The default readMaxBytes, 4 MiB, is what zlib writes before it stops; not 1 GiB.
    expect(grew).toBeLessThan(256 * mebibyte);
  });

  it.each([
    ["not gzip", () => Buffer.from("this is not gzip at all")],
    [
      "cut short",
      () => gzipSync(encoded(wire, GetMemoryResponseSchema, memoryResponse)).subarray(0, 200),
    ],
  ])("answers INTERNAL for a gzipped response that is %s", async (_, body) => {
    const peer = await startPeer(wire, () => ({ body: body(), encoding: "gzip" }));
    const error = await rejection(
      memoryClient(peer.url).getMemory({ id: memoryId }),
      Code.Internal,
    );
    expect(error.rawMessage).toMatch(/could not be decompressed/);
  });

  it("refuses a gzipped response it did not ask for with INTERNAL", async () => {
    const peer = await startPeer(wire, () => gzipped());
    const client = memoryClient(peer.url, { compressMinBytes: false });
    const error = await rejection(client.getMemory({ id: memoryId }), Code.Internal);
    expect(error.rawMessage).toMatch(/unsupported response encoding "gzip"/);
  });

  it.runIf(wire.protocol === "grpc")(
    "refuses a message flagged compressed under no grpc-encoding with INTERNAL",
    async () => {
      const peer = await startPeer(wire, () => ({ body: gzipSync(plain().body), flagged: true }));
      const error = await rejection(
        memoryClient(peer.url).getMemory({ id: memoryId }),
        Code.Internal,
      );
      expect(error.rawMessage).toMatch(/no compression was negotiated/);
    },
  );
});
