// Inputs whose message is valid but whose framing is not: gRPC envelopes cut short or doubled,
// sizes over readMaxBytes, and compression the services cannot undo.
import { gzipSync } from "node:zlib";
import { concat } from "./binary.js";
import { chooseTarget } from "./endpoints.js";
import { encode, httpInput, type Made, rawInput } from "./made.js";
import type { Random } from "./random.js";
import { rawHttp1 } from "./raw-http1.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { chooseConnect, chooseWire, envelope, post, postBody, type Wire } from "./wire.js";

/** The services' readMaxBytes: a larger message is refused unread. */
const readMaxBytes = 4 * 1024 * 1024;

/**
 * A gRPC or gRPC-Web request whose body ends inside an envelope (the prefix claims more than is
 * sent, or the prefix itself is cut short), or holds no message or two, where a unary call takes
 * exactly one; or a Connect request over raw HTTP/1.1 whose Content-Length claims more than is
 * sent before the connection is half-closed.
 */
export function truncatedFrame(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  if (random.chance(0.15)) {
    const payload = encode(schema, valid, "json");
    const claimed = payload.length + 1 + random.int(1000);
    const bytes = rawHttp1(target, "application/json", payload, { "content-length": `${claimed}` });
    return rawInput(target, bytes, `Connect, Content-Length ${claimed}, ${payload.length} sent`);
  }
  const wire = chooseWire(random, undefined, true);
  const payload = encode(schema, valid, wire.codec);
  const whole = envelope(0, payload);
  const variants: [string, () => Uint8Array][] = [
    [
      "envelope cut short",
      // An empty message (Health/Check's) has no byte to cut: cut the prefix instead.
      () =>
        whole.subarray(0, payload.length === 0 ? random.int(5) : 5 + random.int(payload.length)),
    ],
    ["prefix claims more", () => envelope(0, payload, payload.length + 1 + random.int(1000))],
    ["prefix cut short", () => whole.subarray(0, 1 + random.int(4))],
    ["no envelope", () => new Uint8Array(0)],
    [
      "an envelope and part of another",
      () => concat(whole, whole.subarray(0, 1 + random.int(whole.length - 1))),
    ],
    ["two envelopes", () => concat(whole, whole)],
  ];
  const [what, build] = random.pick(variants);
  const body = build();
  return httpInput(target, wire, `${what} (${body.length} bytes)`, postBody(wire, target, body));
}

/**
 * Sizes over readMaxBytes: a gRPC prefix claiming 4 MiB + 1 to 4 GiB with a few bytes after it; a
 * Connect Content-Length claiming as much (over raw HTTP/1.1, or on h2c, where the stream then
 * carries less than its content-length and is reset); now and then a real Connect body of
 * 4 MiB + 1.
 */
export function hugeLengthPrefix(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const claimed = random.pick([
    0xffffffff,
    0x7fffffff,
    5 * 1024 * 1024,
    readMaxBytes + 1,
    readMaxBytes + 1 + random.int(0xffffffff - readMaxBytes),
  ]);
  const roll = random.int(100);
  if (roll < 60) {
    const wire = chooseWire(random, undefined, true);
    const payload = encode(schema, valid, wire.codec);
    const sent = payload.subarray(0, random.int(Math.min(payload.length, 64) + 1));
    const body = envelope(random.pick([0, 0, 1]), sent, claimed);
    return httpInput(target, wire, `prefix claims ${claimed}`, postBody(wire, target, body));
  }
  const payload = encode(schema, valid, "json");
  if (roll < 80) {
    const bytes = rawHttp1(target, "application/json", payload, { "content-length": `${claimed}` });
    return rawInput(target, bytes, `Connect, Content-Length ${claimed}`);
  }
  const wire: Wire = { ...chooseConnect(random, "json"), http: "h2" };
  if (roll < 97) {
    const request = post(wire, target, payload, { "content-length": `${claimed}` });
    return { ...httpInput(target, wire, `content-length ${claimed}`, request), mayClose: true };
  }
  // A real oversized body: a valid message padded with whitespace, which JSON ignores.
  const padding = new TextEncoder().encode(" ".repeat(readMaxBytes + 1 - payload.length));
  const big = concat(payload, padding);
  const either = chooseConnect(random, "json");
  return httpInput(target, either, `a body of ${big.length} bytes`, post(either, target, big));
}

/**
 * Compression the services cannot undo: the compressed flag with no grpc-encoding (or
 * "identity"), an encoding they do not support, gzip over bytes that are not gzip (a valid
 * message starts with a protobuf tag or "{", never gzip's 0x1f 0x8b), or gzip cut short (no
 * complete gzip member, so gunzip fails). The same with Connect's Content-Encoding.
 */
export function compressedFlag(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const valid = validRequest(target.messageOf, ids);
  const unsupported = random.pick(["zstd", "snappy", "deflate", "x-fuzz"]);
  const connect = random.chance(0.25);
  const codec = random.chance(0.5) ? "json" : "proto";
  const wire = connect ? chooseConnect(random, codec) : chooseWire(random, codec, true);
  const payload = nonEmpty(encode(target.messageOf.input, valid, codec));
  const gzipped = gzipSync(payload);
  // At least one byte: an empty body "decompresses" to an empty message.
  const cut = gzipped.subarray(0, 1 + random.int(gzipped.length - 1));
  const variants: [string, string | undefined, Uint8Array][] = [
    ["not gzip", "gzip", payload],
    [`gzip cut at ${cut.length} of ${gzipped.length}`, "gzip", cut],
    ["unsupported", unsupported, payload],
  ];
  if (!connect)
    variants.push(["no encoding", undefined, payload], ["identity", "identity", payload]);
  const [what, encoding, data] = random.pick(variants);
  if (connect) {
    const headers = encoding === undefined ? {} : { "content-encoding": encoding };
    return httpInput(
      target,
      wire,
      `${what}, content-encoding ${encoding}`,
      post(wire, target, data, headers),
    );
  }
  // The compressed flag, except with an unsupported encoding, which is refused either way.
  const flags =
    encoding === unsupported ? random.pick([0, 1]) : random.pick([0x01, 0x03, 0x81, 0xff]);
  const headers: Record<string, string> =
    encoding === undefined ? {} : { "grpc-encoding": encoding };
  const label = `${what}, flags 0x${flags.toString(16)}, grpc-encoding ${encoding ?? "(none)"}`;
  return httpInput(target, wire, label, postBody(wire, target, envelope(flags, data), headers));
}

/**
 * An empty message (Health/Check's) "decompresses" to an empty, valid message: send one byte
 * instead, which is neither gzip nor a protobuf tag.
 */
function nonEmpty(payload: Uint8Array): Uint8Array {
  return payload.length > 0 ? payload : Uint8Array.of(0x00);
}
