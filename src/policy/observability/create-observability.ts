import type { Code, Interceptor } from "@connectrpc/connect";
import { observabilityWith } from "./observability-with.js";
import { loadOtelApi } from "./otel-api.js";
import type {
  MeterProviderLike,
  TextMapPropagatorLike,
  TracerProviderLike,
} from "./provider-types.js";

/** What a finished call reports to `onCall`. */
export interface CallEvent {
  /** E.g. "contextiq.sessions.v1.SessionsService". */
  readonly service: string;
  /** E.g. "CreateEvent". */
  readonly method: string;
  /** The client's transport, as given in {@link ObservabilityOptions.transport}. */
  readonly transport: string;
  /** Undefined on success. */
  readonly code: Code | undefined;
  /** The whole call: all attempts and the waits between them. */
  readonly durationMs: number;
  /** Attempts made; 0 when the attempt interceptor is not in the chain or no attempt started. */
  readonly attempts: number;
}

/** Which OpenTelemetry providers to use; each defaults to the global one. */
export interface OpenTelemetryProviders {
  readonly tracerProvider?: TracerProviderLike | undefined;
  readonly meterProvider?: MeterProviderLike | undefined;
  /** Writes the trace context into each attempt's headers. Defaults to the global propagator. */
  readonly propagator?: TextMapPropagatorLike | undefined;
}

/** Options of {@link createObservability}. */
export interface ObservabilityOptions {
  /** The client's transport, e.g. "grpc" or "json": picks `rpc.system` and labels the metrics. */
  readonly transport: string;
  /** Plain hook for users without OpenTelemetry. Called once per logical call; what it throws is ignored. */
  readonly onCall?: ((event: CallEvent) => void) | undefined;
  /**
   * Use OpenTelemetry when `@opentelemetry/api` is installed. Defaults to true. Providers: the
   * global ones unless given.
   */
  readonly openTelemetry?: boolean | OpenTelemetryProviders | undefined;
}

/** The two halves of the observability of a client, for two places in its interceptor chain. */
export interface ObservabilityInterceptors {
  /** Outermost: sees one logical call, all its attempts included. Owns the span and the timing. */
  readonly call: Interceptor;
  /** Inside the retry interceptor: sees each attempt. Counts it and sends the trace context. */
  readonly attempt: Interceptor;
}

/**
 * Interceptors that trace and measure calls with OpenTelemetry (when `@opentelemetry/api` is
 * installed) and report each finished call to `onCall`. Undefined when there is nothing to do —
 * no `onCall`, and OpenTelemetry turned off or not installed — so the client adds no work at all.
 *
 * Per logical call: a CLIENT span named `<service>/<method>` with the RPC semantic conventions'
 * attributes, an "attempt" event on it per attempt, and the metrics `rpc.client.calls`,
 * `rpc.client.attempts`, `rpc.client.retries` and `rpc.client.duration` (meter
 * "@contextiq/clients"). Each attempt carries the span's W3C trace context in its headers.
 * Streaming calls pass through untouched.
 */
export function createObservability(
  options: ObservabilityOptions,
): ObservabilityInterceptors | undefined {
  const api = options.openTelemetry === false ? undefined : loadOtelApi();
  if (api === undefined && typeof options.openTelemetry === "object") {
    process.emitWarning(
      "@contextiq/clients: OpenTelemetry providers were given but @opentelemetry/api cannot be loaded; calls are not traced",
    );
  }
  return observabilityWith(api, options);
}
