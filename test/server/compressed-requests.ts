// Requests the compression tests of the services build by hand: messages in a protocol's codec,
// padded with what the codec skips, named gzip as each protocol names it, and h2c streams read to
// their status.
import * as http2 from "node:http2";
import {
  create,
  type DescMessage,
  type MessageInitShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { codeName } from "../security/fuzz/outcome.js";
import { envelope, postBody, type Wire } from "../security/fuzz/wire.js";
import { unknownFieldHeader } from "../support/gzip-bomb.js";

/** What came back on an h2c stream. */
export interface Http2Answer {
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders;
}

/** One POST on an h2c connection of its own: the answer's headers, body and trailers. */
export async function http2Post(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Http2Answer> {
  const session = http2.connect(baseUrl);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": path, ...headers });
      const chunks: Buffer[] = [];
      let answered: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => {
        answered = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => resolve({ headers: answered, body: Buffer.concat(chunks), trailers }));
      stream.on("error", reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

/**
 * The error code a streaming answer ends with: gRPC's grpc-status (trailers, or headers when
 * trailers-only) by name, or the error of a Connect stream's end-stream message.
 */
export function streamErrorCode(answer: Http2Answer): string | undefined {
  const status = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
  if (status !== undefined) return codeName(Number(status));
  let at = 0;
  while (at + 5 <= answer.body.length) {
    const flags = answer.body[at] as number;
    const length = answer.body.readUInt32BE(at + 1);
    if (flags & 0x02) {
      const end = JSON.parse(answer.body.subarray(at + 5, at + 5 + length).toString()) as {
        error?: { code?: string };
      };
      return end.error?.code;
    }
    at += 5 + length;
  }
  return undefined;
}

/** A message in `wire`'s codec. */
export function encode<Desc extends DescMessage>(
  wire: Wire,
  schema: Desc,
  init: MessageInitShape<Desc>,
): Uint8Array {
  const message = create(schema, init);
  return wire.codec === "json"
    ? Buffer.from(toJsonString(schema, message))
    : toBinary(schema, message);
}

/**
 * `message` followed by what its codec skips, `fill` bytes long all told: JSON whitespace, or a
 * protobuf field the schema does not know (number 15, length-delimited) holding zeros. Returns
 * the head to write and the byte the rest is made of.
 */
export function padded(
  wire: Wire,
  message: Uint8Array,
  fill: number,
): { head: Buffer; byte: number } {
  if (wire.codec === "json") return { head: Buffer.from(message), byte: 0x20 };
  return { head: Buffer.concat([message, unknownFieldHeader(fill)]), byte: 0 };
}

/** A POST of `compressed` to `path`, named gzip as `wire`'s protocol names it. */
export function gzipped(
  wire: Wire,
  port: "sessions" | "memory",
  path: string,
  compressed: Uint8Array,
) {
  const target = { port, path, method: undefined, messageOf: MemoryService.method.createMemory };
  const request =
    wire.protocol === "connect"
      ? postBody(wire, target, compressed, { "content-encoding": "gzip" })
      : postBody(wire, target, envelope(1, compressed), { "grpc-encoding": "gzip" });
  return { port, request };
}
