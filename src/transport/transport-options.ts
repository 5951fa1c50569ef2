import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";

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
}

/** A connect Transport with a way to close its connections. */
export interface ClosableTransport extends Transport {
  /** Closes the connections once calls in flight are done (unless they are shared). */
  close(): Promise<void>;
}

/** readMaxBytes and writeMaxBytes unless given: gRPC's and connect's usual 4 MiB. */
export const defaultMaxBytes = 4 * 1024 * 1024;

/** `Transport.stream` of a transport for unary calls only: the ContextIQ contracts have no stream. */
export function unaryOnly(transport: string): Transport["stream"] {
  return () =>
    Promise.reject(new ConnectError(`${transport} supports unary calls only`, Code.Unimplemented));
}
