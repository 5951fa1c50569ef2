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
import type {
  CallEvent,
  ObservabilityInterceptors,
  ObservabilityOptions,
} from "./create-observability.js";
import type { OtelApi } from "./otel-api.js";
import { rpcSystemOf } from "./rpc-names.js";

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
    new CallTracer(
      api,
      rpcSystemOf(transport),
      // The public shapes are the parts of these that the clients call (see provider-types.ts).
      providers.tracerProvider as TracerProvider | undefined,
      providers.propagator as TextMapPropagator | undefined,
    );
  const metrics =
    api && new CallMetrics(api, transport, providers.meterProvider as MeterProvider | undefined);
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
