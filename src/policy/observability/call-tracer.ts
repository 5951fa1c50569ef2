import type { Code, UnaryRequest } from "@connectrpc/connect";
import type {
  Attributes,
  Context,
  Span,
  SpanStatus,
  TextMapPropagator,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import type { OtelApi } from "./otel-api.js";
import { codeName, type RpcSystem, serverOf } from "./rpc-names.js";

/** Instrumentation scope of the spans and metrics. */
export const instrumentationName = "@contextiq/clients";

const headerSetter: TextMapSetter<Headers> = {
  set: (header, key, value) => header.set(key, value),
};

/** Name and start attributes of a method's spans, the same for every call to it. */
interface SpanTemplate {
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * Spans of calls, after the OpenTelemetry semantic conventions for RPC clients (the `rpc.system`
 * generation): one CLIENT span per logical call, one "attempt" event per attempt.
 */
export class CallTracer {
  private readonly tracer: Tracer;
  // Keyed by request URL: bounded by the methods of the services called. Saves parsing the URL
  // and building the attributes on every call.
  private readonly templates = new Map<string, SpanTemplate>();
  private readonly explicit: boolean;
  private readonly noopDelegate: TracerProvider;

  constructor(
    private readonly api: OtelApi,
    private readonly system: RpcSystem,
    tracerProvider: TracerProvider | undefined,
    private readonly propagator: TextMapPropagator | undefined,
  ) {
    // The global provider is a proxy: a tracer taken from it now follows an SDK registered later.
    this.tracer = (tracerProvider ?? api.trace.getTracerProvider()).getTracer(instrumentationName);
    this.explicit = tracerProvider !== undefined;
    // What the API's proxy delegates to while no SDK is registered.
    this.noopDelegate = new api.ProxyTracerProvider().getDelegate();
  }

  /** Starts the span of a call, a child of the active span, and the context that carries it. */
  /**
   * Whether tracing goes nowhere: the global tracer provider has no SDK behind it (and none was
   * given) and no propagator is registered, so there is no span to record and no context to send.
   */
  idle(): boolean {
    if (this.explicit) return false;
    const global = this.api.trace.getTracerProvider() as { getDelegate?: () => TracerProvider };
    return (
      global.getDelegate?.() === this.noopDelegate &&
      (this.propagator ?? this.api.propagation).fields().length === 0
    );
  }

  start(req: UnaryRequest): { span: Span | undefined; context: Context } {
    const template = this.template(req);
    const parent = this.api.context.active();
    const span = this.tracer.startSpan(
      template.name,
      { kind: this.api.SpanKind.CLIENT, attributes: template.attributes },
      parent,
    );
    // No SDK and no parent span: the span records nothing and has no trace to pass on, so the
    // call skips it (and its context) and only propagates what the parent context holds.
    if (!span.isRecording() && !this.api.trace.isSpanContextValid(span.spanContext())) {
      return { span: undefined, context: parent };
    }
    return { span, context: this.api.trace.setSpan(parent, span) };
  }

  /** Runs `fn` with `context` active, so that spans started below (HTTP, DNS) nest in the call. */
  run<T>(context: Context, fn: () => T): T {
    return this.api.context.with(context, fn);
  }

  /** Sends the call's trace context (`traceparent`, `tracestate`, baggage) with an attempt. */
  inject(context: Context, header: Headers): void {
    (this.propagator ?? this.api.propagation).inject(context, header, headerSetter);
  }

  /** Records a finished attempt on the call's span. */
  attempt(span: Span, attempt: number, code: Code | undefined): void {
    span.addEvent("attempt", { attempt, code: codeName(code) });
  }

  /** Ends the call's span with its outcome. */
  end(span: Span, code: Code | undefined, message: string | undefined): void {
    if (this.system === "grpc") {
      // gRPC's status codes are Connect's numbers, 0 for OK.
      span.setAttribute("rpc.grpc.status_code", code ?? 0);
    } else if (code !== undefined) {
      span.setAttribute("rpc.connect_rpc.error_code", codeName(code));
    }
    if (code !== undefined) {
      const status: SpanStatus = { code: this.api.SpanStatusCode.ERROR };
      if (message !== undefined) status.message = message;
      span.setStatus(status);
    }
    span.end();
  }

  private template(req: UnaryRequest): SpanTemplate {
    let template = this.templates.get(req.url);
    if (template === undefined) {
      const service = req.service.typeName;
      const method = req.method.name;
      const server = serverOf(req.url);
      template = {
        name: `${service}/${method}`,
        attributes: Object.freeze({
          "rpc.system": this.system,
          "rpc.service": service,
          "rpc.method": method,
          ...(server && { "server.address": server.address, "server.port": server.port }),
        }),
      };
      this.templates.set(req.url, template);
    }
    return template;
  }
}
