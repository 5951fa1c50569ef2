import {
  type Code,
  ConnectError,
  type ContextValues,
  type Interceptor,
  type UnaryRequest,
} from "@connectrpc/connect";
import type { MeterProvider, TextMapPropagator, TracerProvider } from "@opentelemetry/api";
import { CallMetrics } from "./call-metrics.js";
import { type CallState, callStateOf, withCallState } from "./call-state.js";
import { CallTracer } from "./call-tracer.js";
import { loadOtelApi, type OtelApi } from "./otel-api.js";
import { rpcSystemOf } from "./rpc-names.js";

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
  readonly tracerProvider?: TracerProvider | undefined;
  readonly meterProvider?: MeterProvider | undefined;
  /** Writes the trace context into each attempt's headers. Defaults to the global propagator. */
  readonly propagator?: TextMapPropagator | undefined;
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

/** {@link createObservability} with the API given (undefined: not installed), for tests. */
export function observabilityWith(
  api: OtelApi | undefined,
  options: ObservabilityOptions,
): ObservabilityInterceptors | undefined {
  const { transport, onCall } = options;
  if (api === undefined && onCall === undefined) return undefined;
  const providers = typeof options.openTelemetry === "object" ? options.openTelemetry : {};
  const tracer =
    api &&
    new CallTracer(api, rpcSystemOf(transport), providers.tracerProvider, providers.propagator);
  const metrics = api && new CallMetrics(api, transport, providers.meterProvider);
  const report = onCall && reporter(onCall);

  // Nothing to record, nothing to send, nobody to tell: the call goes through untouched.
  const idle = () => report === undefined && (tracer?.idle() ?? true) && (metrics?.idle() ?? true);

  const call: Interceptor = (next) => (req) => {
    if (req.stream || idle()) return next(req);
    return observe(next, req);
  };
  const observe = async (next: Parameters<Interceptor>[0], req: UnaryRequest) => {
    const start = performance.now();
    const traced = tracer?.start(req);
    const state: CallState = { span: traced?.span, context: traced?.context, attempts: 0 };
    // In place rather than a copy: a copy would read `req.signal`, which the HTTP/2 gRPC
    // transport makes only when read, at ~6 µs. The request is this call's own.
    (req as { contextValues: ContextValues }).contextValues = withCallState(
      req.contextValues,
      state,
    );
    let error: ConnectError | undefined;
    try {
      return await (traced?.span && tracer
        ? tracer.run(traced.context, () => next(req))
        : next(req));
    } catch (e) {
      error = ConnectError.from(e);
      throw e;
    } finally {
      const durationMs = performance.now() - start;
      const service = req.service.typeName;
      const method = req.method.name;
      const code = error?.code;
      if (traced?.span) tracer?.end(traced.span, code, error?.message);
      metrics?.call({ service, method }, code, durationMs);
      // Field by field: `{ ...names, transport, ... }` cost ~4 µs a call on Node 20 (V8 11.3 is slow
      // to add new keys after a spread), more than all the rest without OpenTelemetry.
      report?.({ service, method, transport, code, durationMs, attempts: state.attempts });
    }
  };

  const attempt: Interceptor = (next) => (req) => {
    const state = callStateOf(req.contextValues);
    // No call interceptor outside (or a streaming call, or an idle one): nothing to add to.
    if (state === undefined || req.stream) return next(req);
    return observeAttempt(next, req, state);
  };
  const observeAttempt = async (
    next: Parameters<Interceptor>[0],
    req: UnaryRequest,
    state: CallState,
  ) => {
    const number = ++state.attempts;
    if (state.context) tracer?.inject(state.context, req.header);
    let code: Code | undefined;
    try {
      return await next(req);
    } catch (e) {
      code = ConnectError.from(e).code;
      throw e;
    } finally {
      if (state.span) tracer?.attempt(state.span, number, code);
      metrics?.attempt({ service: req.service.typeName, method: req.method.name }, number, code);
    }
  };

  return { call, attempt };
}

/** `onCall`, made safe: a hook that throws must not fail the call it reports. */
function reporter(onCall: (event: CallEvent) => void): (event: CallEvent) => void {
  let told = false;
  return (event) => {
    try {
      onCall(event);
    } catch (e) {
      if (told) return;
      told = true;
      console.error("@contextiq/clients: onCall threw (reported once; calls are unaffected):", e);
    }
  };
}
