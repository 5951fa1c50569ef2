// How a payload travels: the protocol, its message codec, its content type and the HTTP version.
import type { Target } from "./endpoints.js";
import type { HttpRequest } from "./input.js";
import type { Random } from "./random.js";

export type Protocol = "connect" | "grpc" | "grpc-web";
export type Codec = "json" | "proto";

export interface Wire {
  readonly protocol: Protocol;
  readonly codec: Codec;
  readonly http: HttpRequest["wire"];
  readonly contentType: string;
}

const contentTypes: Record<Protocol, Record<Codec, readonly string[]>> = {
  connect: {
    json: ["application/json", "application/json; charset=utf-8"],
    proto: ["application/proto"],
  },
  grpc: { json: ["application/grpc+json"], proto: ["application/grpc", "application/grpc+proto"] },
  "grpc-web": {
    json: ["application/grpc-web+json"],
    proto: ["application/grpc-web+proto", "application/grpc-web"],
  },
};

/** How often each protocol goes over HTTP/1.1 rather than h2c (gRPC needs HTTP/2). */
const http1Share: Record<Protocol, number> = { connect: 0.6, grpc: 0, "grpc-web": 0.8 };

/**
 * A protocol the services speak, with `codec` (else either): Connect unary over HTTP/1.1 or h2c,
 * gRPC over h2c, gRPC-Web mostly over HTTP/1.1. `enveloped` limits it to gRPC and gRPC-Web.
 */
export function chooseWire(random: Random, codec?: Codec, enveloped = false): Wire {
  const protocol: Protocol = enveloped
    ? random.pick(["grpc", "grpc-web"] as const)
    : random.pick(["connect", "connect", "grpc", "grpc-web"] as const);
  const chosenCodec = codec ?? (random.chance(0.5) ? "json" : "proto");
  const http = random.chance(http1Share[protocol]) ? "http1" : "h2";
  return {
    protocol,
    codec: chosenCodec,
    http,
    contentType: random.pick(contentTypes[protocol][chosenCodec]),
  };
}

/** Connect unary with `codec`'s plain content type, over HTTP/1.1 or h2c. */
export function chooseConnect(random: Random, codec: Codec): Wire {
  return {
    protocol: "connect",
    codec,
    http: random.chance(http1Share.connect) ? "http1" : "h2",
    contentType: codec === "json" ? "application/json" : "application/proto",
  };
}

/** The headers each protocol sends besides the content type. */
export function protocolHeaders(protocol: Protocol): Record<string, string> {
  if (protocol === "grpc") return { te: "trailers" };
  if (protocol === "grpc-web") return { "x-grpc-web": "1" };
  return { "connect-protocol-version": "1" };
}

/** A POST of `payload` to `target` over `wire`, enveloped for gRPC and gRPC-Web. */
export function post(
  wire: Wire,
  target: Target,
  payload: Uint8Array,
  headers: Record<string, string> = {},
): HttpRequest {
  return postBody(
    wire,
    target,
    wire.protocol === "connect" ? payload : envelope(0, payload),
    headers,
  );
}

/** A POST of `body` exactly as given, for bodies whose framing is the point. */
export function postBody(
  wire: Wire,
  target: Target,
  body: Uint8Array,
  headers: Record<string, string> = {},
): HttpRequest {
  return {
    wire: wire.http,
    method: "POST",
    path: target.path,
    headers: { "content-type": wire.contentType, ...protocolHeaders(wire.protocol), ...headers },
    body,
  };
}

/**
 * A gRPC length-prefixed message: a flags byte, then a big-endian uint32 length, which
 * `claimedLength` may make a lie.
 */
export function envelope(
  flags: number,
  payload: Uint8Array,
  claimedLength = payload.length,
): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, flags);
  view.setUint32(1, claimedLength >>> 0);
  out.set(payload, 5);
  return out;
}

/** "connect+json over HTTP/1.1" and the like, for labels. */
export function describeWire(wire: Wire): string {
  return `${wire.protocol}+${wire.codec} (${wire.contentType}) over ${wire.http === "h2" ? "h2c" : "HTTP/1.1"}`;
}
