import type { Interceptor, Transport } from "@connectrpc/connect";

/** What both of this package's transports take, besides where their connections come from. */
export interface TransportOptions {
  /** Where the services are, e.g. "http://localhost:8001" or "https://..." (TLS). */
  readonly baseUrl: string;
  /** Run around every call, outermost first, as with connect's transports. */
  readonly interceptors?: readonly Interceptor[] | undefined;
  /** Deadline of a call that sets none; 0 or undefined for none. */
  readonly defaultTimeoutMs?: number | undefined;
  /** Largest response message accepted; a larger one fails with RESOURCE_EXHAUSTED. 4 MiB. */
  readonly readMaxBytes?: number | undefined;
  /** Largest request message sent; a larger one fails with RESOURCE_EXHAUSTED unsent. 4 MiB. */
  readonly writeMaxBytes?: number | undefined;
  /**
   * Request messages of at least this many bytes are sent gzipped, and responses are asked for
   * gzipped (the server compresses those past its own threshold); `false` for no compression
   * either way. `readMaxBytes` holds a compressed response to its size once decompressed. 8 KiB
   * unless given, measured (docs/compression.md).
   */
  readonly compressMinBytes?: number | false | undefined;
}

/** A connect Transport with a way to close its connections. */
export interface ClosableTransport extends Transport {
  /** Closes the connections once calls in flight are done (unless they are shared). */
  close(): Promise<void>;
}

/** readMaxBytes and writeMaxBytes unless given: gRPC's and connect's usual 4 MiB. */
export const defaultMaxBytes = 4 * 1024 * 1024;

/**
 * compressMinBytes unless given, for the clients and the services alike: 8 KiB, measured (see
 * docs/compression.md). One gzip and one gunzip on zlib's thread pool cost some 130-170 µs of CPU
 * whatever the size up to 7 KB, as much as a whole small call, and save under a third below
 * 1 KiB; text of 4 KiB and more halves. A memory in protobuf (6.3 KB, its float32 embedding
 * barely compressible) shrinks by 6%: 8 KiB leaves it, and every small call, as it is, while a
 * memory as JSON (31 KB) and pages of events shrink by half or more. connect-es's 1 KiB would
 * compress both.
 */
export const defaultCompressMinBytes = 8 * 1024;
