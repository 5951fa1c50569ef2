import { concat } from "./binary.js";
import { chooseTarget } from "./endpoints.js";
import { Flag, FrameType, frame, headerBlock, preface, settings, uint32 } from "./h2-frames.js";
import { type Made, rawInput } from "./made.js";
import type { Random } from "./random.js";

/**
 * The HTTP/2 preface, then frames that break the protocol: each is a connection or stream error
 * (RFC 9113 §5.4, §6), or a header block that cannot be decoded (HPACK index 0, RFC 7541 §6.1) or
 * that lacks :method and :path (a malformed request, §8.1.1), so no request is ever made of them.
 */
export function h2Garbage(random: Random): Made {
  const target = chooseTarget(random);
  const junk = () => random.bytes(random.int(32));
  const stream = 1 + 2 * random.int(100);
  const evenStream = 2 * (1 + random.int(50));
  const undecodable = () => concat(Uint8Array.of(0x80), junk());
  const noPath = headerBlock([
    [":scheme", "http"],
    [":authority", "x"],
    ["content-type", "application/proto"],
  ]);
  const endAll = Flag.endHeaders | Flag.endStream;
  const choices: [string, () => Uint8Array][] = [
    ["HEADERS with HPACK index 0", () => frame(FrameType.headers, endAll, stream, undecodable())],
    ["HEADERS on stream 0", () => frame(FrameType.headers, Flag.endHeaders, 0, junk())],
    [
      "HEADERS on an even stream",
      () => frame(FrameType.headers, Flag.endHeaders, evenStream, undecodable()),
    ],
    ["HEADERS without :method or :path", () => frame(FrameType.headers, endAll, stream, noPath)],
    ["DATA on stream 0", () => frame(FrameType.data, 0, 0, junk())],
    ["DATA on an idle stream", () => frame(FrameType.data, Flag.endStream, stream, junk())],
    ["SETTINGS of 7 bytes", () => frame(FrameType.settings, 0, 0, random.bytes(7))],
    ["SETTINGS on a stream", () => frame(FrameType.settings, 0, stream, settings([[3, 100]]))],
    ["SETTINGS_ENABLE_PUSH 2", () => frame(FrameType.settings, 0, 0, settings([[2, 2]]))],
    [
      "SETTINGS_INITIAL_WINDOW_SIZE 2^31",
      () => frame(FrameType.settings, 0, 0, settings([[4, 2 ** 31]])),
    ],
    ["SETTINGS_MAX_FRAME_SIZE 100", () => frame(FrameType.settings, 0, 0, settings([[5, 100]]))],
    ["SETTINGS ACK with a payload", () => frame(FrameType.settings, Flag.ack, 0, random.bytes(6))],
    ["PING of 5 bytes", () => frame(FrameType.ping, 0, 0, random.bytes(5))],
    ["PING on a stream", () => frame(FrameType.ping, 0, stream, random.bytes(8))],
    ["WINDOW_UPDATE of 0", () => frame(FrameType.windowUpdate, 0, 0, uint32(0))],
    ["WINDOW_UPDATE of 3 bytes", () => frame(FrameType.windowUpdate, 0, 0, random.bytes(3))],
    ["RST_STREAM on stream 0", () => frame(FrameType.rstStream, 0, 0, uint32(1))],
    ["RST_STREAM on an idle stream", () => frame(FrameType.rstStream, 0, stream, uint32(8))],
    ["GOAWAY on a stream", () => frame(FrameType.goaway, 0, stream, random.bytes(8))],
    [
      "CONTINUATION without HEADERS",
      () => frame(FrameType.continuation, Flag.endHeaders, stream, junk()),
    ],
    ["PRIORITY of 4 bytes", () => frame(FrameType.priority, 0, stream, random.bytes(4))],
    [
      "PUSH_PROMISE from a client",
      () => frame(FrameType.pushPromise, Flag.endHeaders, stream, random.bytes(8)),
    ],
    [
      "a frame over 16 KiB",
      () => frame(FrameType.data, 0, stream, random.bytes(64), 16_385 + random.int(1 << 20)),
    ],
    [
      "a frame cut short",
      () => frame(random.int(10), random.int(256), stream, random.bytes(4), 64),
    ],
    ["random bytes", () => random.bytes(1 + random.int(256))],
  ];
  const picked = Array.from({ length: 1 + random.int(3) }, () => random.pick(choices));
  // Clients send their SETTINGS first, as the protocol asks; without them the first garbage frame
  // is a protocol error of its own.
  const opening = random.chance(0.8)
    ? frame(FrameType.settings, 0, 0, new Uint8Array(0))
    : new Uint8Array(0);
  const bytes = concat(preface, opening, ...picked.map(([, build]) => build()));
  return rawInput(target, bytes, `h2c: ${picked.map(([what]) => what).join(", ")}`);
}
