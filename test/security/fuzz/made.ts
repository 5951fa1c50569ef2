import { type DescMessage, type Message, toBinary, toJsonString } from "@bufbuild/protobuf";
import { decodesAsBinary } from "./binary.js";
import type { Target } from "./endpoints.js";
import type { HttpRequest, Input } from "./input.js";
import { decodesAsJson } from "./json.js";
import { type Codec, describeWire, type Wire } from "./wire.js";

/** What a generator makes: an input without its index and class. */
export type Made = Omit<Input, "index" | "class">;

/** A message's encoding in `codec`. */
export function encode(schema: DescMessage, message: Message, codec: Codec): Uint8Array {
  return codec === "proto"
    ? toBinary(schema, message)
    : new TextEncoder().encode(toJsonString(schema, message));
}

/**
 * Checks a generator's promise that the services' decoder refuses `bytes` as `schema` in
 * `codec`: if it does not, the generator is wrong, not the server, and the run stops there.
 */
export function assertRefused(schema: DescMessage, codec: Codec, bytes: Uint8Array, what: string) {
  const decodes = codec === "proto" ? decodesAsBinary(schema, bytes) : decodesAsJson(schema, bytes);
  if (decodes) throw new Error(`generator bug: ${what} decodes as ${schema.typeName} (${codec})`);
}

/** An input that is a well-formed HTTP request: only an error status answers it. */
export function httpInput(target: Target, wire: Wire, what: string, request: HttpRequest): Made {
  return {
    port: target.port,
    label: `${what}, ${describeWire(wire)}, ${target.path}`,
    request,
    mayClose: false,
  };
}

/** An input written to the TCP port as it is: a closed connection is an acceptable answer. */
export function rawInput(target: Target, bytes: Uint8Array, what: string): Made {
  return {
    port: target.port,
    label: `${what}, raw TCP, ${target.path}`,
    request: { wire: "raw", bytes },
    mayClose: true,
  };
}
