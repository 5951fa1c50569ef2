import type { ClientHttp2Stream } from "node:http2";
import type { RequestEnvelopes } from "./request-envelopes.js";

/** Request bytes written to a stream, and those node said it sent. */
export interface WrittenBytes {
  written: number;
  flushed: number;
}

/**
 * Writes the request's messages as the caller yields them, each once the stream took the one
 * before ('drain'), then ends the request. Stops when the stream closes; a message taken then
 * stays with `envelopes`, for a stream that sends the call again.
 */
export async function writeRequest(
  stream: ClientHttp2Stream,
  envelopes: RequestEnvelopes,
  bytes: WrittenBytes,
): Promise<void> {
  for (let index = 0; ; index++) {
    const envelope = await envelopes.at(index);
    // Closed, or ended by the response's end (see ResponseMessages).
    if (stream.closed || stream.destroyed || stream.writableEnded) return;
    if (envelope === undefined) {
      stream.end();
      return;
    }
    bytes.written += envelope.byteLength;
    // Node counts the bytes of a stream closed before they were sent against its connection's
    // memory (see Http2ConnectionPool.noteUnsent): a write's callback without an error says they
    // were sent.
    const taken = stream.write(envelope, (error) => {
      if (!error) bytes.flushed += envelope.byteLength;
    });
    if (!taken) await drained(stream);
  }
}

/** Resolves once `stream` takes writes again, or closes. */
function drained(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
