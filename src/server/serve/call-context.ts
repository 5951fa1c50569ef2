/**
 * What serve() tells every handler through its context values, beyond what connect gives: that
 * the server is draining, and a way to cut the call's stream. Long streams need both: a watch ends
 * when the server starts to drain, rather than holding the drain to its bound, and a watcher that
 * stops reading is cut rather than buffered for.
 */
import { constants, Http2ServerRequest } from "node:http2";
import { type ContextValues, createContextKey, createContextValues } from "@connectrpc/connect";

/** Aborted when the server starts to drain (close() was called); never, outside serve(). */
export const serverDraining = createContextKey<AbortSignal>(new AbortController().signal, {
  description: "aborted when the server starts to drain",
});

/**
 * Ends the call's stream at once, without a status (which a peer that reads nothing would never
 * receive): an HTTP/2 stream is reset with ENHANCE_YOUR_CALM, which gRPC clients read as
 * RESOURCE_EXHAUSTED; an HTTP/1.1 connection is destroyed. Does nothing outside serve().
 */
export const cutCall = createContextKey<() => void>(() => {}, {
  description: "ends the call's stream at once",
});

/** The context of `request`, over `base` (e.g. the client certificate's verdict). */
export function callContext(
  request: { socket: unknown; destroy?: (error?: Error) => void },
  draining: AbortSignal,
  base: ContextValues = createContextValues(),
): ContextValues {
  return base
    .set(serverDraining, draining)
    .set(cutCall, () => cut(request))
    .set(callBacklog, () => backlog(request));
}

function backlog(request: { socket: unknown }): number {
  if (request instanceof Http2ServerRequest) return request.stream.writableLength;
  return (request.socket as { writableLength?: number }).writableLength ?? 0;
}

function cut(request: { socket: unknown; destroy?: (error?: Error) => void }): void {
  if (request instanceof Http2ServerRequest) {
    if (!request.stream.closed) request.stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    return;
  }
  (request.socket as { destroy(): void }).destroy();
}

/**
 * Bytes the call's stream has queued and not yet sent (its writable length): falls as the peer
 * makes room in its flow-control window. 0 outside serve().
 */
export const callBacklog = createContextKey<() => number>(() => 0, {
  description: "bytes the call's stream has queued and not yet sent",
});
