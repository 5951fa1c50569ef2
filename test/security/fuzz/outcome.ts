import { Code } from "@connectrpc/connect";
import { h2ErrorNames } from "./h2-frames.js";

/** How the server answered one input. */
export type Outcome =
  | {
      readonly kind: "response";
      readonly status: number;
      /** grpc-status (gRPC, gRPC-Web), or the Connect error code mapped to its number. */
      readonly code?: Code | undefined;
      readonly message?: string | undefined;
    }
  /** HTTP/2: the stream was reset (RST_STREAM) before any response. */
  | { readonly kind: "reset"; readonly h2Code: number }
  /**
   * HTTP/2: the server sent GOAWAY before any response. `stayedOpen` settles true when it then
   * left the connection open, although RFC 9113 §5.4.1 says it must close it after a GOAWAY for
   * a connection error.
   */
  | { readonly kind: "goaway"; readonly h2Code: number; readonly stayedOpen?: Promise<boolean> }
  /** The connection closed, or failed, without a response. */
  | { readonly kind: "closed"; readonly reason: string }
  | { readonly kind: "timeout"; readonly afterMs: number };

/**
 * INTERNAL answers that connect-es gives by design to a malformed request, as grpc-go and
 * grpc-java do: a request message the protobuf decoder refuses, and the compressed flag without
 * an encoding; and the services' answer to gzip that is not gzip or is cut short, which gRPC's
 * status codes give to a message that cannot be decompressed (src/server/serve/
 * service-compression.ts). Any other INTERNAL is a failure. (connect-go calls an undecodable
 * message INVALID_ARGUMENT instead; changing that is connect-es's call, not the services'.)
 */
const decoderInternals = [
  /^parse binary: /,
  /^received compressed envelope, but do not know how to decompress$/,
  /^request message could not be decompressed \(gzip\): /,
];

/** Why `outcome` is not an acceptable answer to a hostile input, or undefined when it is. */
export function failureOf(outcome: Outcome, mayClose: boolean): string | undefined {
  switch (outcome.kind) {
    case "timeout":
      return `no answer within ${outcome.afterMs} ms`;
    case "goaway":
    case "reset":
    case "closed":
      return mayClose ? undefined : `${describeOutcome(outcome)} instead of an error status`;
    case "response": {
      const { status, code, message = "" } = outcome;
      if (status === 0) return "an HTTP/2 response (its status not read)";
      if (code === undefined && status < 400) return `succeeded (HTTP ${status})`;
      if (code === undefined) return undefined;
      if (code === Code.Internal && !decoderInternals.some((re) => re.test(message))) {
        return `INTERNAL: ${message}`;
      }
      if (code === Code.Unknown || code === Code.DataLoss) return `${Code[code]}: ${message}`;
      return undefined;
    }
  }
}

/** A short key for the outcome distribution, e.g. "HTTP 400 invalid_argument", "h2 RST_STREAM". */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case "response": {
      if (outcome.code === undefined) return `HTTP ${outcome.status}`;
      // gRPC and gRPC-Web errors come with HTTP 200: the status is in grpc-status.
      if (outcome.status === 200) return `grpc-status ${codeName(outcome.code)}`;
      return `HTTP ${outcome.status} ${codeName(outcome.code)}`;
    }
    case "reset":
      return `h2 RST_STREAM ${h2ErrorNames[outcome.h2Code] ?? outcome.h2Code}`;
    case "goaway":
      return `h2 GOAWAY ${h2ErrorNames[outcome.h2Code] ?? outcome.h2Code}`;
    case "closed":
      return "closed";
    case "timeout":
      return "timeout";
  }
}

/** "invalid_argument" for Code.InvalidArgument, as the Connect protocol spells codes. */
export function codeName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/[a-z](?=[A-Z])/g, "$&_").toLowerCase();
}

/** The Code for a Connect error body's "code", e.g. "invalid_argument". */
export function codeFromName(name: string): Code | undefined {
  for (const value of Object.values(Code)) {
    if (typeof value === "number" && codeName(value) === name) return value;
  }
  return undefined;
}
