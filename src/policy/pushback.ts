import type { ConnectError } from "@connectrpc/connect";

/**
 * How long the server asked the client to wait before retrying, from the failed attempt's
 * headers or trailers:
 * - `grpc-retry-pushback-ms` (gRFC A6): a non-negative integer of ms; a negative or malformed
 *   value means "do not retry", returned as `"stop"`.
 * - `Retry-After` (RFC 9110): delay-seconds, or an HTTP date.
 * Undefined when the server said nothing.
 */
export function pushbackMs(error: ConnectError, now = Date.now()): number | "stop" | undefined {
  const grpc = error.metadata.get("grpc-retry-pushback-ms");
  if (grpc !== null) {
    return /^\d+$/.test(grpc.trim()) ? Number(grpc.trim()) : "stop";
  }
  const retryAfter = error.metadata.get("retry-after");
  if (retryAfter === null) return undefined;
  if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
