/**
 * The OpenTelemetry providers a client takes, described by the methods it calls instead of imported
 * from `@opentelemetry/api`: the API is an optional peer dependency, and the package's declarations
 * must type-check in applications that do not install it. The API's own TracerProvider,
 * MeterProvider and TextMapPropagator fit these shapes.
 */

/** An OpenTelemetry TracerProvider. */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/** An OpenTelemetry MeterProvider. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/** An OpenTelemetry TextMapPropagator. */
export interface TextMapPropagatorLike {
  inject(context: unknown, carrier: unknown, setter: unknown): void;
  fields(): string[];
}
