/**
 * TLS for serve(): a tls.Server that never listens. The protocol listener hands it each accepted
 * socket; once the handshake is done, ALPN says which HTTP server gets the decrypted connection,
 * so one port serves HTTP/2 and HTTP/1.1 over TLS as it serves both in cleartext.
 */
import { constants } from "node:crypto";
import * as tls from "node:tls";
import { pemProblem } from "../../util/pem.js";

/** The certificate the services present, and the clients they accept. */
export interface ServeTlsOptions {
  /** The server's certificate chain, PEM: the leaf first, then any intermediates. */
  readonly cert: string | Buffer;
  /** The private key of `cert`, PEM. */
  readonly key: string | Buffer;
  /**
   * Mutual TLS: the CA certificates (PEM) that client certificates must chain to. When given,
   * every call must come over a connection that presented a valid, unexpired client certificate
   * issued by one of them, or it is UNAUTHENTICATED with the reason (see client-certificate.ts).
   * Health checks stay open, as with API keys.
   */
  readonly clientCa?: string | Buffer | undefined;
}

/** ALPN protocol ids, most preferred first: gRPC needs h2, browsers and curl may want http/1.1. */
const alpnProtocols = ["h2", "http/1.1"];

/**
 * Creates the TLS terminator; `onSecure` receives each connection once its handshake is done.
 * Throws a TypeError naming the option when the certificate, key or CA cannot be loaded.
 */
export function createTlsTerminator(
  options: ServeTlsOptions,
  handshakeTimeoutMs: number,
  onSecure: (socket: tls.TLSSocket) => void,
): tls.Server {
  checkPem(options.cert, "tls.cert", "CERTIFICATE");
  checkPem(options.key, "tls.key", "PRIVATE KEY");
  if (options.clientCa !== undefined) checkPem(options.clientCa, "tls.clientCa", "CERTIFICATE");
  const mutual = options.clientCa !== undefined;
  let server: tls.Server;
  try {
    server = tls.createServer({
      cert: options.cert,
      key: options.key,
      ...(mutual ? { ca: options.clientCa } : {}),
      ALPNProtocols: alpnProtocols,
      requestCert: mutual,
      // Judged per call instead, where the refusal can say why: see client-certificate.ts.
      rejectUnauthorized: false,
      // No session resumption under mutual TLS: each connection shows its certificate afresh,
      // rather than a ticket from a connection judged (or refused) before.
      ...(mutual ? { secureOptions: constants.SSL_OP_NO_TICKET, sessionTimeout: 0 } : {}),
      handshakeTimeout: handshakeTimeoutMs,
    });
  } catch (error) {
    // OpenSSL's words ("key values mismatch", "bad decrypt") say what is wrong, not where.
    throw new TypeError(
      `tls: cannot load the certificate and key: ${(error as Error).message}. Check that tls.key is the private key of tls.cert, unencrypted, in PEM.`,
      { cause: error },
    );
  }
  server.on("secureConnection", onSecure);
  // Failed handshakes (a client that distrusts us, a port scanner, one that never says hello)
  // are routine on a TLS port: drop the socket. A timed-out handshake is reported here and
  // nowhere else, and Node leaves that socket open unless told otherwise.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  return server;
}

function checkPem(value: string | Buffer, option: string, label: string): void {
  const problem = pemProblem(value, label);
  if (problem !== undefined) throw new TypeError(`${option} ${problem}`);
}
