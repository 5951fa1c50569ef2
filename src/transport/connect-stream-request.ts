import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { gzip } from "./compression.js";
import { type EndpointTarget, requestTooLarge } from "./endpoint-target.js";
import { compressedFlag, encodeEnvelope } from "./enveloped-messages.js";
import { toJsonBulk } from "./to-json-bulk.js";

/** The body of a server-streaming call with the Connect protocol and JSON. */
export interface ConnectStreamRequestBody {
  /** The request message in one envelope. */
  readonly body: Buffer;
  /** Whether the message is gzipped, to be said in `connect-content-encoding`. */
  readonly gzipped: boolean;
}

/**
 * The one request message of a server-streaming call, as proto3 JSON in one envelope: refused
 * with RESOURCE_EXHAUSTED past `target.writeMaxBytes`, and gzipped when `target.compressMinBytes`
 * is set and the JSON is at least that long.
 */
export async function connectStreamRequestBody(
  method: DescMethod,
  messages: AsyncIterable<unknown>,
  target: EndpointTarget,
): Promise<ConnectStreamRequestBody> {
  const message = await onlyMessage(method, messages);
  let json: Buffer;
  try {
    json = Buffer.from(JSON.stringify(toJsonBulk(method.input, message as never)));
  } catch (error) {
    throw ConnectError.from(error, Code.Internal);
  }
  if (json.byteLength > target.writeMaxBytes) throw requestTooLarge(json.byteLength, target);
  const { compressMinBytes } = target;
  if (compressMinBytes !== undefined && json.byteLength >= compressMinBytes) {
    return { body: encodeEnvelope(compressedFlag, await gzip(json)), gzipped: true };
  }
  return { body: encodeEnvelope(0, json), gzipped: false };
}

/** The single message a server-streaming call sends; none, or more than one, is a misuse. */
async function onlyMessage(method: DescMethod, messages: AsyncIterable<unknown>): Promise<unknown> {
  let count = 0;
  let only: unknown;
  for await (const message of messages) {
    if (++count > 1) break;
    only = message;
  }
  if (count !== 1) {
    throw new ConnectError(
      `${method.parent.typeName}.${method.name} takes exactly one request message, got ${
        count === 0 ? "none" : "more"
      }`,
      Code.Internal,
    );
  }
  return only;
}
