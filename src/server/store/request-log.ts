import { Code, ConnectError } from "@connectrpc/connect";

/** How long the result of a create is kept for its request_id: the contract promises 24 hours. */
export const requestRetentionMs = 24 * 60 * 60 * 1000;

/**
 * A create's request_id and the fingerprint of its content (method and fields, request_id
 * excluded), from the service layer.
 */
export interface RequestKey {
  readonly requestId: string;
  readonly fingerprint: string;
  /**
   * The fingerprint of the same content as an earlier server version computed it, when it computed
   * it otherwise: a first request logged before an upgrade still matches its repeat.
   */
  readonly formerFingerprint?: () => string;
}

/** Encodes a create's result for the request log, and decodes it for a repeat. */
export interface ResultCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/**
 * The result a repeat of `key` gets from its first request's stored `prior`: that result again
 * when the content is the same, ALREADY_EXISTS when it is not (AIP-155).
 */
export function repeatedResult<T>(
  key: RequestKey,
  prior: { fingerprint: string; response: Uint8Array },
  codec: ResultCodec<T>,
): T {
  if (prior.fingerprint !== key.fingerprint && prior.fingerprint !== key.formerFingerprint?.()) {
    throw new ConnectError(
      `request_id ${key.requestId} was already used for a request with different content: use a new request_id for a new request`,
      Code.AlreadyExists,
    );
  }
  return codec.decode(prior.response);
}
