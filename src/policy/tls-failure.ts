/**
 * TLS failures, told apart from other connection failures: a certificate one side refuses will be
 * refused again, so they are never retried, and the caller is told which side to fix. Node gives
 * the reason as an OpenSSL verify code (the server's certificate, checked here) or as an alert
 * code (ERR_SSL_..._ALERT_..., the server's verdict on ours), somewhere in the error's causes.
 */

/** What went wrong, and what to do about it, by Node's error code. */
const explanations: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: untrusted(),
  SELF_SIGNED_CERT_IN_CHAIN: untrusted(),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrusted(),
  UNABLE_TO_GET_ISSUER_CERT: untrusted(),
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrusted(),
  CERT_UNTRUSTED: untrusted(),
  CERT_SIGNATURE_FAILURE: untrusted(),
  CERT_HAS_EXPIRED: "the server's certificate has expired: the server must renew it",
  CERT_NOT_YET_VALID:
    "the server's certificate is not valid yet: check the clocks of both machines",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate is not issued for the host name in the URL: call it by a name (or IP) the certificate lists",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    "the server requires a client certificate: give option `tls.cert` and `tls.key` (or *_SERVICE_CERT_FILE and *_SERVICE_KEY_FILE)",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    "the server does not trust the CA that issued the client certificate: use a certificate from a CA the server accepts",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    "the server refused the client certificate as expired: renew it",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: "the server refused the client certificate",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: "the server refused the client certificate",
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR:
    "the server could not verify the client certificate's signature: check that tls.key belongs to tls.cert",
  ERR_SSL_WRONG_VERSION_NUMBER:
    "the server does not speak TLS on this port: use an http:// URL, or start it with TLS",
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    "the server refused the handshake: no protocol version, cipher or certificate in common",
};

function untrusted(): string {
  return "the server's certificate is not issued by a CA this client trusts: give that CA with option `tls.ca` (or *_SERVICE_CA_FILE)";
}

/** A TLS failure found in `error` or its causes. */
export interface TlsFailure {
  /** Node's code, e.g. "CERT_HAS_EXPIRED". */
  readonly code: string;
  /** What it means for the caller, and what to change. */
  readonly explanation: string;
}

/**
 * A failed write on a TLS socket is EPROTO, with OpenSSL's reason only in the message
 * ("...:SSL routines:ssl3_get_record:wrong version number:..."): the code Node gives the same
 * reason elsewhere.
 */
function codeOfReason(message: string): string | undefined {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return reason && `ERR_SSL_${reason.toUpperCase().replace(/ /g, "_")}`;
}

/** The TLS failure behind `error`, if that is what it is. */
export function tlsFailure(error: unknown): TlsFailure | undefined {
  // Deep enough for the gRPC transport's chain: call, stream, pending stream, certificate.
  for (let cause = error, depth = 0; cause && depth < 8; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    const named = code === "EPROTO" && typeof message === "string" ? codeOfReason(message) : code;
    if (typeof named === "string" && Object.hasOwn(explanations, named)) {
      return { code: named, explanation: explanations[named] as string };
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
