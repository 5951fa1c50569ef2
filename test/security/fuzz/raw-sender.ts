import * as net from "node:net";
import { FrameType, indexedStatus, parseFrames, preface } from "./h2-frames.js";
import type { RawRequest } from "./input.js";
import type { Outcome } from "./outcome.js";
import { outcomeWithin } from "./outcome-within.js";
import { readResponse } from "./response.js";

/** Most of an answer that is read: enough for a status line, headers and an error body. */
const maxAnswerBytes = 64 * 1024;

/** How long an HTTP/2 server may take to close the connection once it has sent GOAWAY. */
export const goawayCloseMs = 1_000;

/**
 * Writes `request.bytes` to a new connection and half-closes it, so that the server sees the end
 * of the input at once instead of waiting for more; then reads until the server closes. An HTTP/2
 * GOAWAY is the answer as soon as it arrives; whether the server then closes the connection, as
 * it must, is watched in the background (`stayedOpen`), so that the run does not wait on it.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs: number): Promise<Outcome> {
  return outcomeWithin(timeoutMs, (settleOnce) => {
    const http2 = startsWith(request.bytes, preface);
    const chunks: Buffer[] = [];
    let received = 0;
    let closed: (() => void) | undefined;
    const socket = net.connect({ port, host: "127.0.0.1" }, () => {
      socket.end(request.bytes);
    });
    const settle = (outcome: Outcome) => {
      if (!settleOnce.done && outcome.kind !== "goaway") socket.destroy();
      settleOnce(outcome);
    };
    socket.on("data", (chunk: Buffer) => {
      if (received < maxAnswerBytes) chunks.push(chunk);
      received += chunk.length;
      const answer = http2 && !settleOnce.done ? readFrames(Buffer.concat(chunks)) : undefined;
      if (answer?.kind !== "goaway") return;
      const stayedOpen = new Promise<boolean>((resolveOpen) => {
        const lingering = setTimeout(() => {
          socket.destroy();
          resolveOpen(true);
        }, goawayCloseMs);
        closed = () => {
          clearTimeout(lingering);
          resolveOpen(false);
        };
      });
      settle({ ...answer, stayedOpen });
    });
    // A reset after the server answered still leaves the answer to read.
    socket.on("error", () => {});
    socket.on("close", () => {
      closed?.();
      settle(readRaw(Buffer.concat(chunks), http2));
    });
    return () => socket.destroy();
  });
}

function readRaw(answer: Buffer, http2: boolean): Outcome {
  if (answer.length === 0) return { kind: "closed", reason: "no answer" };
  if (http2) return readFrames(answer);
  const text = answer.toString("latin1");
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (statusLine === null)
    return { kind: "closed", reason: `not HTTP: ${JSON.stringify(text.slice(0, 40))}` };
  const end = text.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of text
    .slice(0, end < 0 ? text.length : end)
    .split("\r\n")
    .slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = end < 0 ? Buffer.alloc(0) : answer.subarray(end + 4);
  const chunked = /chunked/i.test(headers["transfer-encoding"] ?? "");
  return readResponse(Number(statusLine[1]), headers, chunked ? dechunk(body) : body);
}

/** The content of a chunked body, as far as it arrived. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** What an HTTP/2 server answered: a response, or else a reset stream or a GOAWAY. */
function readFrames(answer: Buffer): Outcome {
  const frames = parseFrames(answer);
  const response = frames.find((f) => f.type === FrameType.headers);
  if (response !== undefined) {
    // A response at all is unexpected here; its status, when HPACK lets us read it cheaply, tells more.
    return { kind: "response", status: indexedStatus(response.payload) ?? 200 };
  }
  const reset = frames.find((f) => f.type === FrameType.rstStream);
  if (reset !== undefined)
    return {
      kind: "reset",
      h2Code: new DataView(reset.payload.buffer, reset.payload.byteOffset).getUint32(0),
    };
  const goaway = frames.find((f) => f.type === FrameType.goaway);
  if (goaway !== undefined && goaway.payload.length >= 8) {
    return {
      kind: "goaway",
      h2Code: new DataView(goaway.payload.buffer, goaway.payload.byteOffset).getUint32(4),
    };
  }
  return { kind: "closed", reason: "HTTP/2 without a response" };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}
