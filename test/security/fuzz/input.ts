/** The kinds of hostile input, each made invalid in its own way (see the generators). */
export const inputClasses = [
  "random-bytes",
  "mutated-valid",
  "malformed-json",
  "invalid-utf8",
  "deep-nesting",
  "wrong-content-type",
  "truncated-frame",
  "huge-length-prefix",
  "compressed-flag",
  "gzip-body",
  "connect-get",
  "raw-garbage",
  "broken-http1",
  "bad-authority",
  "h2-garbage",
] as const;

export type InputClass = (typeof inputClasses)[number];

/** An HTTP request sent with node:http (HTTP/1.1, keep-alive) or node:http2 (h2c, prior knowledge). */
export interface HttpRequest {
  readonly wire: "http1" | "h2";
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Bytes written to a fresh TCP connection, which is then half-closed. */
export interface RawRequest {
  readonly wire: "raw";
  readonly bytes: Uint8Array;
}

/** One fuzz input. */
export interface Input {
  readonly index: number;
  readonly class: InputClass;
  readonly port: "sessions" | "memory";
  /** What was done to it, enough to rebuild it by hand. */
  readonly label: string;
  readonly request: HttpRequest | RawRequest;
  /**
   * Whether a closed connection, a reset stream or a GOAWAY is an acceptable answer besides an
   * error status: so for broken HTTP, never for a well-formed request with a bad message.
   */
  readonly mayClose: boolean;
}
