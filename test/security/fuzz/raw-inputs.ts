// Inputs below the RPC protocols: garbage on the TCP port, broken HTTP/1.1, and authorities no URL
// can hold. Each request body is undecodable too, so that even a request the HTTP layer let
// through could not carry a valid message.
import { toBinary } from "@bufbuild/protobuf";
import { MemoryService } from "../../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { breakBinary, concat } from "./binary.js";
import { chooseTarget, type Target, targetFor } from "./endpoints.js";
import { preface } from "./h2-frames.js";
import { httpInput, type Made, rawInput } from "./made.js";
import type { Random } from "./random.js";
import { rawHttp1 } from "./raw-http1.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { chooseWire, post, type Wire } from "./wire.js";

const text = (s: string) => new TextEncoder().encode(s);

/** A protobuf body the services' decoder refuses (see breakBinary). */
function undecodable(target: Target, random: Random, ids: SeedIds): Uint8Array {
  const schema = target.messageOf.input;
  return breakBinary(schema, toBinary(schema, validRequest(target.messageOf, ids)), random);
}

/**
 * Bytes that are no request to anything served: random bytes starting with a control character or
 * a byte over 0x7e (a request line starts with a method token, an HTTP/2 preface with "P"), a
 * printable line that never ends, a cut-short HTTP/2 preface, an altered one (at most a request
 * for "*", which nothing serves), a TLS ClientHello's head, or nothing at all.
 */
export function rawGarbage(random: Random): Made {
  const target = chooseTarget(random);
  switch (random.int(6)) {
    case 0: {
      const bytes = random.bytes(1 + random.logInt(1, 8192));
      bytes[0] = random.pick([0x00, 0x01, 0x07, 0x1b, 0x7f, 0x80, 0xc3, 0xff]);
      return rawInput(target, bytes, `${bytes.length} random bytes`);
    }
    case 1: {
      const length = random.logInt(1, 4096);
      const line = Array.from(random.bytes(length), (b) => 0x20 + (b % 95));
      return rawInput(target, Uint8Array.from(line), `${length} printable bytes, no line end`);
    }
    case 2: {
      const cut = 1 + random.int(preface.length - 1);
      return rawInput(target, preface.subarray(0, cut), `HTTP/2 preface cut at ${cut}`);
    }
    case 3: {
      const bytes = Uint8Array.from(preface);
      const at = random.int(bytes.length);
      bytes[at] = (bytes[at] as number) ^ (1 + random.int(255));
      return rawInput(
        target,
        concat(bytes, random.bytes(random.int(64))),
        `HTTP/2 preface altered at ${at}`,
      );
    }
    case 4:
      return rawInput(
        target,
        concat(
          Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03),
          random.bytes(64),
        ),
        "a TLS ClientHello",
      );
    default:
      return rawInput(target, new Uint8Array(0), "nothing, then end");
  }
}

/**
 * HTTP/1.1 requests broken in the request line, the header section or the body framing, each of
 * which Node's parser refuses (400, 431) or, for the few it lets through, which the services refuse
 * for an undecodable body. Every one is half-closed after sending, so nothing waits for more.
 */
export function brokenHttp1(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const body = undecodable(target, random, ids);
  const type = "application/proto";
  const path = target.path;
  const chunkedInstead = { "content-length": undefined, "transfer-encoding": "chunked" };
  const variants: [string, () => Uint8Array][] = [
    ["method P0ST", () => rawHttp1(target, type, body, {}, `P0ST ${path} HTTP/1.1`)],
    ["NUL in the method", () => rawHttp1(target, type, body, {}, `POST\x00 ${path} HTTP/1.1`)],
    ["space in the path", () => rawHttp1(target, type, body, {}, `POST ${path}/a b HTTP/1.1`)],
    [
      "control byte in the path",
      () => rawHttp1(target, type, body, {}, `POST ${path}\x01 HTTP/1.1`),
    ],
    ["no HTTP version", () => rawHttp1(target, type, body, {}, `POST ${path}`)],
    ["version HTTP/9.9", () => rawHttp1(target, type, body, {}, `POST ${path} HTTP/9.9`)],
    ["lower-case version", () => rawHttp1(target, type, body, {}, `POST ${path} http/1.1`)],
    ["junk after the version", () => rawHttp1(target, type, body, {}, `POST ${path} HTTP/1.1 x`)],
    [
      "a 20 KiB path",
      () => rawHttp1(target, type, body, {}, `POST ${path}?${"a".repeat(20_480)} HTTP/1.1`),
    ],
    [
      "header line without a colon",
      () => rawHttp1(target, type, body, { "x-fuzz-no-colon\r\nx-next": "1" }),
    ],
    ["space in a header name", () => rawHttp1(target, type, body, { "x fuzz": "1" })],
    ["NUL in a header value", () => rawHttp1(target, type, body, { "x-fuzz": "a\x00b" })],
    ["obs-fold", () => rawHttp1(target, type, body, { "x-fuzz": "a\r\n folded" })],
    ["empty header name", () => rawHttp1(target, type, body, { "": "x" })],
    ["a 20 KiB header", () => rawHttp1(target, type, body, { "x-fuzz": "a".repeat(20_480) })],
    [
      "two different Content-Lengths",
      () =>
        rawHttp1(target, type, body, {
          "content-length": `${body.length}\r\ncontent-length: ${body.length + 1}`,
        }),
    ],
    [
      "Content-Length and Transfer-Encoding",
      () => rawHttp1(target, type, body, { "transfer-encoding": "chunked" }),
    ],
    ["Content-Length -1", () => rawHttp1(target, type, body, { "content-length": "-1" })],
    ["Content-Length 1e3", () => rawHttp1(target, type, body, { "content-length": "1e3" })],
    [
      "Content-Length past 2^64",
      () => rawHttp1(target, type, body, { "content-length": "99999999999999999999999" }),
    ],
    ["bad chunk size", () => rawHttp1(target, type, concat(text("zz\r\n"), body), chunkedInstead)],
    [
      "chunked body never finished",
      () => {
        const chunk = concat(text(`${body.length.toString(16)}\r\n`), body, text("\r\n"));
        return rawHttp1(target, type, chunk, chunkedInstead);
      },
    ],
    ["no Host", () => rawHttp1(target, type, body, { host: undefined })],
    [
      "bare LF line ends",
      () =>
        concat(
          text(
            `POST ${path} HTTP/1.1\nhost: x\ncontent-type: ${type}\ncontent-length: ${body.length}\n\n`,
          ),
          body,
        ),
    ],
  ];
  const [what, build] = random.pick(variants);
  return rawInput(target, build(), what);
}

/**
 * Authorities from which no URL can be built (checked with URL.canParse), and HTTP/1.0 without a
 * Host header, on a path the services serve. The request is refused by HTTP, or by the services for
 * its undecodable body; it must never take the process down.
 */
export function badAuthority(random: Random, ids: SeedIds): Made {
  const methods = [...SessionsService.methods, ...MemoryService.methods];
  const target = targetFor(random.pick(methods), random);
  const body = undecodable(target, random, ids);
  const authority = random.pick(["[", "[::1", "]", "a b", "%", "%zz", "a:b:c", "@", "x:99999"]);
  if (URL.canParse(target.path, `http://${authority}`)) {
    throw new Error(`generator bug: "${authority}" makes a URL`);
  }
  const roll = random.int(3);
  if (roll === 0) {
    const requestLine = `POST ${target.path} HTTP/1.0`;
    const bytes = rawHttp1(target, "application/proto", body, { host: undefined }, requestLine);
    return rawInput(target, bytes, "HTTP/1.0 without Host");
  }
  if (roll === 1) {
    const bytes = rawHttp1(target, "application/proto", body, { host: authority });
    return rawInput(target, bytes, `Host: ${authority}`);
  }
  const wire: Wire = { ...chooseWire(random, "proto"), http: "h2" };
  const request = post(wire, target, body, { ":authority": authority });
  return { ...httpInput(target, wire, `:authority ${authority}`, request), mayClose: true };
}
