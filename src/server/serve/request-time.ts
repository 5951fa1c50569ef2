/**
 * The HTTP/2 counterpart of Node's HTTP/1.1 `requestTimeout`: a stream must deliver its whole
 * request, headers and body, within a bound, so that a client that trickles a body byte by byte
 * (a slow-loris) cannot keep a stream, its handler and its buffers for as long as it likes.
 */
import { constants, type ServerHttp2Stream } from "node:http2";

/** Resets `stream` with CANCEL unless the client has finished sending its request within `ms`. */
export function limitRequestTime(stream: ServerHttp2Stream, ms: number): void {
  if (stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  }, ms);
  // Only the client's END_STREAM, or the stream's end, lifts the bound: the handler may answer
  // early (an error) while the client is still sending.
  const done = () => clearTimeout(timer);
  stream.once("end", done);
  stream.once("close", done);
}
