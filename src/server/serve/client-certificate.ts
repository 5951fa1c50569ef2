/**
 * Mutual TLS, enforced per call. The handshake lets any client certificate (or none) through and
 * every call then checks the verdict, because a refusal in the handshake cannot be told apart
 * from a reset: in TLS 1.3 the client sends its request before the server has judged its
 * certificate, and the server's alert is lost to the reset of the closing connection as often as
 * not. A call answers UNAUTHENTICATED with the reason instead, and no handler runs.
 */
import type { TLSSocket } from "node:tls";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";

const unjudged = "the client certificate was not checked: refused";

/**
 * Why the connection's client certificate is refused; undefined when it is accepted. A request
 * whose context was never set is refused: fail closed.
 */
const refusal = createContextKey<string | undefined>(unjudged, {
  description: "why the client certificate is refused",
});

/**
 * The context of a request on an mTLS port (connectNodeAdapter's `contextValues`). The request's
 * socket is a TLSSocket, or for HTTP/2 a proxy that reads through to one.
 */
export function clientCertificateContext(request: { socket: unknown }): ContextValues {
  return createContextValues().set(refusal, refusalOf(request.socket as Partial<TLSSocket>));
}

/** Rejects calls whose connection's client certificate was refused, except to `exemptServices`. */
export function createClientCertificateInterceptor(exemptServices: readonly string[]): Interceptor {
  const exempt = new Set(exemptServices);
  return (next) => async (request) => {
    const reason = request.contextValues.get(refusal);
    if (reason !== undefined && !exempt.has(request.service.typeName)) {
      throw new ConnectError(reason, Code.Unauthenticated);
    }
    return await next(request);
  };
}

const ofUnknownCa = "no CA this server trusts issued it";
/** OpenSSL's verify codes, in words. */
const reasons: Record<string, string> = {
  CERT_HAS_EXPIRED: "it has expired",
  CERT_NOT_YET_VALID: "it is not valid yet",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ofUnknownCa,
  UNABLE_TO_GET_ISSUER_CERT: ofUnknownCa,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ofUnknownCa,
  SELF_SIGNED_CERT_IN_CHAIN: ofUnknownCa,
  DEPTH_ZERO_SELF_SIGNED_CERT: ofUnknownCa,
  CERT_SIGNATURE_FAILURE: "its signature does not verify",
};

function refusalOf(socket: Partial<TLSSocket>): string | undefined {
  // Both, always: a resumed TLS 1.3 session of a connection that presented no certificate reads
  // as `authorized` (Node finds no verify error without a certificate to verify).
  const certificate = socket.getPeerCertificate?.();
  const presented = certificate !== undefined && Object.keys(certificate).length > 0;
  if (presented && socket.authorized === true) return undefined;
  if (!presented) {
    return "this server requires a client certificate (mutual TLS), and the connection presented none";
  }
  const code = String(socket.authorizationError ?? "unknown");
  const reason = reasons[code] ?? "it does not verify";
  return `the client certificate was refused: ${reason} (${code}); present a valid certificate issued by a CA this server trusts`;
}
