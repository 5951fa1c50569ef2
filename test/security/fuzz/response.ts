// Reads the status out of an answer, whichever protocol it speaks: a Connect error body, gRPC's
// grpc-status in the headers (trailers-only) or the trailers, gRPC-Web's trailer frame in the body,
// a Connect stream's end-stream message (whose error comes with HTTP 200).
import { gunzipSync } from "node:zlib";
import type { Code } from "@connectrpc/connect";
import { codeFromName, type Outcome } from "./outcome.js";

type Headers = Readonly<Record<string, string | string[] | number | undefined>>;

/** The outcome of a response whose status line, headers, body and trailers have arrived. */
export function readResponse(
  status: number,
  headers: Headers,
  body: Uint8Array,
  trailers: Headers = {},
): Outcome {
  const contentType = String(headers["content-type"] ?? "");
  const grpc =
    grpcStatus(headers) ??
    grpcStatus(trailers) ??
    (contentType.startsWith("application/grpc-web") ? grpcWebTrailer(body) : undefined);
  if (grpc !== undefined) {
    return {
      kind: "response",
      status,
      code: grpc.code === 0 ? undefined : (grpc.code as Code),
      message: grpc.message,
    };
  }
  if (status === 200 && contentType.startsWith("application/connect+")) {
    const end = connectEndStream(body);
    if (end !== undefined) return { kind: "response", status, ...end };
  }
  if (status >= 400 && contentType.startsWith("application/json")) {
    try {
      const error = JSON.parse(Buffer.from(body).toString("utf8")) as {
        code?: string;
        message?: string;
      };
      const code = error.code === undefined ? undefined : codeFromName(error.code);
      return { kind: "response", status, code, message: error.message };
    } catch {
      // Not a Connect error body: the status alone says what happened.
    }
  }
  return { kind: "response", status };
}

function grpcStatus(headers: Headers): { code: number; message: string } | undefined {
  const value = headers["grpc-status"];
  if (value === undefined) return undefined;
  const message = headers["grpc-message"];
  return {
    code: Number(value),
    message: typeof message === "string" ? percentDecoded(message) : "",
  };
}

/** grpc-message is percent-encoded; a server's malformed encoding is shown as it came. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The trailers of a gRPC-Web body: the frame whose flags have the 0x80 bit, as HTTP header lines. */
function grpcWebTrailer(body: Uint8Array): { code: number; message: string } | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = view.getUint8(at);
    const length = view.getUint32(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length);
    if ((flags & 0x80) !== 0) {
      const fields: Record<string, string> = {};
      for (const line of Buffer.from(payload).toString("utf8").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0)
          fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      return grpcStatus(fields);
    }
    at += 5 + length;
  }
  return undefined;
}

/** The error of a Connect stream's end-stream message (flags 0x02), if it holds one. */
function connectEndStream(
  body: Uint8Array,
): { code?: Code | undefined; message?: string } | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = view.getUint8(at);
    const length = view.getUint32(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length);
    if ((flags & 0b10) !== 0) {
      try {
        const json = (flags & 0b1) !== 0 ? gunzipSync(payload) : Buffer.from(payload);
        const { error } = JSON.parse(json.toString("utf8")) as {
          error?: { code?: string; message?: string };
        };
        if (error === undefined) return {};
        return {
          ...(error.code === undefined ? {} : { code: codeFromName(error.code) }),
          ...(error.message === undefined ? {} : { message: error.message }),
        };
      } catch {
        return undefined;
      }
    }
    at += 5 + length;
  }
  return undefined;
}
