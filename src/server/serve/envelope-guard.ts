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
 * Follows the envelopes of `request`'s body as connect-node reads it (with for-await), and makes
 * the read fail with INVALID_ARGUMENT if the body ends inside one. A plain iterator rather than an
 * async generator: a generator cost about 10 µs a request.
 */
export function guardEnvelopes(request: NodeServerRequest): void {
  const chunks = request[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  /** Bytes of the current envelope's prefix seen so far, and of its message still due. */
  let prefix = 0;
  const header = Buffer.alloc(prefixBytes);
  let messageLeft = 0;
  const follow = (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (messageLeft > 0) {
        const take = Math.min(messageLeft, chunk.length - at);
        messageLeft -= take;
        at += take;
        continue;
      }
      const take = Math.min(prefixBytes - prefix, chunk.length - at);
      chunk.copy(header, prefix, at, at + take);
      prefix += take;
      at += take;
      if (prefix === prefixBytes) {
        messageLeft = header.readUInt32BE(1);
        prefix = 0;
      }
    }
  };
  const checked: AsyncIterator<Buffer> = {
    async next() {
      const result = await chunks.next();
      if (!result.done) {
        follow(result.value);
      } else if (prefix > 0 || messageLeft > 0) {
        throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
      }
      return result;
    },
    return: (value?: unknown) => chunks.return?.(value) ?? Promise.resolve({ done: true, value }),
  };
  Object.defineProperty(request, Symbol.asyncIterator, {
    configurable: true,
    value: () => checked,
  });
}
