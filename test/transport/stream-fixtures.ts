// What the streaming tests share: a transport on one endpoint's stream sender, with the
// compressMinBytes a test gives it, a look at the pool's streams, a gzip bomb, and a wait for a
// count that stops growing.
import { constants, deflateRawSync } from "node:zlib";
import type { Transport } from "@connectrpc/connect";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import type { EndpointTarget } from "../../src/transport/endpoint-target.js";
import { parseBaseUrl } from "../../src/transport/endpoint-target.js";
import type { Http2ConnectionPool } from "../../src/transport/http2-connection-pool.js";
import { createStreamCall } from "../../src/transport/stream-call.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connect Transport for streams only, from a sender made for `baseUrl`'s endpoint as altered. */
export function streamTransport(
  baseUrl: string,
  pool: Http2ConnectionPool,
  createSender: (
    pool: Http2ConnectionPool,
    target: EndpointTarget,
  ) => (req: StreamRequest) => Promise<StreamResponse>,
  writeDeadline: (header: Headers, timeoutMs: number) => void,
  target: Partial<EndpointTarget> = {},
): Transport {
  const parsed = parseBaseUrl({ baseUrl });
  return {
    unary: () => Promise.reject(new ConnectError("streams only", Code.Unimplemented)),
    stream: createStreamCall({
      baseUrl: parsed.baseUrl,
      interceptors: undefined,
      defaultTimeoutMs: undefined,
      writeDeadline,
      send: createSender(pool, { ...parsed.target, ...target }),
    }),
  };
}

/**
 * The streams in flight on `pool`'s least busy connection: the pool has no stream in flight when
 * this is 0 and it holds one connection. Taking a connection to look is itself a stream, given
 * back at once.
 */
export function streamsInFlight(pool: Http2ConnectionPool): number {
  const connection = pool.acquire();
  const inFlight = connection.active - 1;
  pool.release(connection);
  return inFlight;
}

/**
 * A gzip member that inflates to `bytes` zero bytes (a multiple of 1 MiB), about a thousandth of
 * that: 1 MiB of zeros deflated with a full flush is a run of blocks that stands alone, repeated.
 * Its CRC is not the zeros' (a reader that got to the end would refuse it; none should).
 */
export function gzipBomb(bytes: number): Buffer {
  const mebibyte = 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(mebibyte), { finishFlush: constants.Z_FULL_FLUSH });
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const lastBlock = Buffer.from([3, 0]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(bytes % 2 ** 32, 4);
  return Buffer.concat([
    header,
    ...Array.from({ length: bytes / mebibyte }, () => block),
    lastBlock,
    trailer,
  ]);
}

/** Resolves once `count()` has stayed the same over a few looks, `intervalMs` apart. */
export async function untilSteady(count: () => number, intervalMs = 100): Promise<number> {
  let last = count();
  for (let same = 0; same < 3; ) {
    await sleep(intervalMs);
    const now = count();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}
