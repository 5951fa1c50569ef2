/**
 * Makes a gRPC or gRPC-Web request body that ends inside a length-prefixed message an error.
 * connect-es (2.1) reports leftover bytes after the last whole message, but not a 5-byte prefix
 * whose message never came: a unary call whose message is followed by such a prefix ran, and
 * wrote. Found by test/security/fuzz.test.ts.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { HttpFallback } from "./health-http.js";

type NodeServerRequest = Parameters<HttpFallback>[0];

const prefixBytes = 5;

/** Whether `contentType` is gRPC or binary gRPC-Web, the protocols whose bodies are envelopes. */
export function isEnvelopedBody(contentType: string | undefined): boolean {
  // grpc-web-text is base64 of the envelopes, which connect decodes before splitting them.
  return /^application\/grpc(-web)?(\+|;|$)/i.test(contentType ?? "");
}

/**
 * Wraps `request`'s body (connect-node reads it with for-await) in a reader that follows the
 * envelopes and throws INVALID_ARGUMENT if the body ends inside one.
 */
export function guardEnvelopes(request: NodeServerRequest): void {
  const read = request[Symbol.asyncIterator].bind(request);
  Object.defineProperty(request, Symbol.asyncIterator, {
    configurable: true,
    value: async function* checkedBody(): AsyncGenerator<Buffer> {
      // Bytes still due in the current envelope: its prefix first, then its message.
      let prefix = Buffer.alloc(0);
      let messageLeft = 0;
      for await (const chunk of read() as AsyncIterable<Buffer>) {
        let at = 0;
        while (at < chunk.length) {
          if (messageLeft > 0) {
            const take = Math.min(messageLeft, chunk.length - at);
            messageLeft -= take;
            at += take;
            continue;
          }
          const take = Math.min(prefixBytes - prefix.length, chunk.length - at);
          prefix = Buffer.concat([prefix, chunk.subarray(at, at + take)]);
          at += take;
          if (prefix.length === prefixBytes) {
            messageLeft = prefix.readUInt32BE(1);
            prefix = Buffer.alloc(0);
          }
        }
        yield chunk;
      }
      if (prefix.length > 0 || messageLeft > 0) {
        throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
      }
    },
  });
}
