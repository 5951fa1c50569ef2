import { Code, ConnectError } from "@connectrpc/connect";
import {
  defaultCompressMinBytes,
  defaultMaxBytes,
  type TransportOptions,
} from "./transport-options.js";

/** Where one endpoint's attempts go. */
export interface EndpointTarget {
  readonly scheme: "http" | "https";
  /** Sent as :authority (HTTP/2) or Host (HTTP/1.1): the host and port of the URL the user gave. */
  readonly authority: string;
  /** The URL's path without a trailing slash, "" for none. */
  readonly pathPrefix: string;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  /**
   * Messages of at least this many bytes are sent gzipped, and answers are asked for gzipped;
   * undefined: no compression either way.
   */
  readonly compressMinBytes?: number | undefined;
}

/** A transport's base URL, parsed once: the URL, the base for requests' `url`, and its target. */
export interface ParsedBaseUrl {
  readonly url: URL;
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly target: EndpointTarget;
}

/** The endpoint of a transport's options. Throws for a URL that is not http:// or https://. */
export function parseBaseUrl(options: TransportOptions): ParsedBaseUrl {
  const url = new URL(options.baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an http:// or https:// URL, got ${options.baseUrl}`);
  }
  return {
    url,
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    target: {
      scheme: url.protocol === "https:" ? "https" : "http",
      authority: url.host,
      pathPrefix: url.pathname.replace(/\/+$/, ""),
      readMaxBytes: options.readMaxBytes ?? defaultMaxBytes,
      writeMaxBytes: options.writeMaxBytes ?? defaultMaxBytes,
      compressMinBytes: compressMinBytesOf(options),
    },
  };
}

/** The target's compressMinBytes: undefined for `false`, the default for none given. */
function compressMinBytesOf(options: TransportOptions): number | undefined {
  const given = options.compressMinBytes;
  if (given === false) return undefined;
  if (given === undefined) return defaultCompressMinBytes;
  if (!Number.isInteger(given) || given < 0) {
    throw new TypeError(`compressMinBytes must be a whole number of bytes or false, got ${given}`);
  }
  return given;
}

/** The error of a request message of `byteLength` bytes past the target's writeMaxBytes. */
export function requestTooLarge(byteLength: number, target: EndpointTarget): ConnectError {
  return new ConnectError(
    `request message of ${byteLength} bytes is larger than writeMaxBytes (${target.writeMaxBytes})`,
    Code.ResourceExhausted,
  );
}

/** The error of a response past the target's readMaxBytes. */
export function responseTooLarge(target: EndpointTarget): ConnectError {
  return new ConnectError(
    `response message larger than readMaxBytes (${target.readMaxBytes})`,
    Code.ResourceExhausted,
  );
}
