/**
 * The timeout a request carries on the wire, read and rewritten in place. connect-es writes it
 * once, before interceptors run, from the call's `timeoutMs`; an interceptor that sends a request
 * more than once must send the time that remains instead.
 *
 * - gRPC and gRPC-Web: `grpc-timeout`, an integer of at most 8 digits and a unit (H M S m u n).
 * - Connect: `connect-timeout-ms`, an integer of milliseconds.
 */

const grpcUnits: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** The timeout in `header`, in ms, or undefined when the request has none. */
export function readTimeoutMs(header: Headers): number | undefined {
  const connect = header.get("connect-timeout-ms");
  if (connect !== null) return Number(connect);
  const grpc = header.get("grpc-timeout");
  if (grpc === null) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(grpc);
  return match ? Number(match[1]) * (grpcUnits[match[2] as string] ?? 1) : undefined;
}

/** Sets the timeout in `header`, in whichever of the two headers it already has. */
export function writeTimeoutMs(header: Headers, timeoutMs: number): void {
  if (header.has("connect-timeout-ms")) {
    header.set("connect-timeout-ms", connectTimeoutValue(timeoutMs));
  } else if (header.has("grpc-timeout")) {
    header.set("grpc-timeout", grpcTimeoutValue(timeoutMs));
  }
}

/** Writes a Connect request's deadline: `connect-timeout-ms`. */
export function writeConnectDeadline(header: Headers, timeoutMs: number): void {
  header.set("connect-timeout-ms", connectTimeoutValue(timeoutMs));
}

/** Writes a gRPC request's deadline: `grpc-timeout`. */
export function writeGrpcDeadline(header: Headers, timeoutMs: number): void {
  header.set("grpc-timeout", grpcTimeoutValue(timeoutMs));
}

/** A `connect-timeout-ms` value for `timeoutMs`: whole ms, rounded up, at least 1. */
export function connectTimeoutValue(timeoutMs: number): string {
  return String(Math.max(1, Math.ceil(timeoutMs)));
}

/** A `grpc-timeout` value for `timeoutMs`, rounded up to whole ms. */
export function grpcTimeoutValue(timeoutMs: number): string {
  const ms = Math.max(1, Math.ceil(timeoutMs));
  // Eight digits of ms reach 27 hours; longer deadlines go in seconds.
  return ms < 1e8 ? `${ms}m` : `${Math.ceil(ms / 1000)}S`;
}
