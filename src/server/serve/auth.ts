/**
 * API-key authentication for RPCs, as a Connect server interceptor so that a rejection is encoded
 * the way each protocol expects (HTTP 401 for Connect, grpc-status 16 for gRPC and gRPC-Web).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Which keys are accepted, and which services need none. */
export interface AuthOptions {
  /** Accepted keys; must be non-empty strings. */
  readonly apiKeys: readonly string[];
  /** Fully-qualified names of services callable without a key (the health service). */
  readonly exemptServices: readonly string[];
}

/** The message of every rejection. It names the accepted headers and never echoes what was sent. */
export const unauthenticatedMessage =
  'missing or invalid API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"';

/**
 * Creates an interceptor that rejects calls with UNAUTHENTICATED unless they carry one of the keys
 * in `Authorization: Bearer <key>` (scheme case-insensitive) or `x-api-key: <key>`.
 */
export function createAuthInterceptor(options: AuthOptions): Interceptor {
  if (options.apiKeys.length === 0 || options.apiKeys.some((key) => key === "")) {
    // An empty key would let an empty header in; no keys at all should mean no interceptor.
    throw new TypeError("apiKeys must be a non-empty list of non-empty strings");
  }
  const accepted = options.apiKeys.map(digest);
  const exempt = new Set(options.exemptServices);

  const isAccepted = (candidate: string | undefined): boolean => {
    if (candidate === undefined || candidate === "") {
      return false;
    }
    // Comparing fixed-length digests keeps the time independent of where the strings differ and
    // of the key length. Every key is compared, so the time does not tell which one matched.
    const presented = digest(candidate);
    let match = false;
    for (const key of accepted) {
      match = timingSafeEqual(key, presented) || match;
    }
    return match;
  };

  return (next) => async (request) => {
    if (!exempt.has(request.service.typeName)) {
      const header = request.header;
      if (
        !isAccepted(bearerToken(header.get("authorization"))) &&
        !isAccepted(header.get("x-api-key") ?? undefined)
      ) {
        throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
      }
    }
    return await next(request);
  };
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(authorization: string | null): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  return match?.[1];
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}
