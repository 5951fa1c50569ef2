/**
 * @contextiq/clients: typed clients for ContextIQ's Sessions and Memory services, over gRPC or
 * HTTP/JSON (the Connect protocol).
 *
 * The root holds what a caller of the services needs: the two clients, their options and inputs,
 * errors, the contract, deadlines, observability and the workers. Transports to build on your own
 * are in `@contextiq/clients/transport`; the reference services are in `@contextiq/clients/server`.
 * This entry point never loads server code or native modules.
 *
 * @packageDocumentation
 */

export { Code, ConnectError } from "@connectrpc/connect";
export type { LoadBalancing } from "./balancer/balancer.js";
export type { HealthCheckOptions } from "./balancer/health-checker.js";
export type { OutlierDetectionOptions } from "./balancer/outlier-detector.js";
export { type Resolver, systemResolver } from "./balancer/resolver.js";
export type {
  CallOptions,
  ClientOptions,
  ClientTlsOptions,
  TransportKind,
} from "./client/client-options.js";
export type { WatchEventsOptions, WatchReconnectEvent } from "./client/event-watch.js";
export type {
  MemoryChanges,
  MemoryFilter,
  MemorySearch,
  NewMemory,
  SourceTypeInput,
} from "./client/memory-client.js";
export { MemoryServiceClient } from "./client/memory-client.js";
export { requestIdOf } from "./client/request-id.js";
export type { ServiceClient } from "./client/service-client.js";
export type { EventFilter, NewEvent, NewSession, SessionFilter } from "./client/sessions-client.js";
export { SessionsServiceClient } from "./client/sessions-client.js";
export * from "./contract/index.js";
export {
  InvalidOptionError,
  isInvalidOptionError,
  type OptionSource,
} from "./errors/invalid-option-error.js";
export type { UnavailableReason } from "./errors/service-unavailable-error.js";
export {
  isServiceUnavailableError,
  ServiceUnavailableError,
} from "./errors/service-unavailable-error.js";
export type { CircuitBreakerOptions } from "./policy/circuit-breaker.js";
export type { InboundDeadline } from "./policy/deadline-context.js";
export {
  currentDeadline,
  propagateInboundDeadline,
  withDeadline,
} from "./policy/deadline-context.js";
export type { HedgingOptions } from "./policy/hedging.js";
export type {
  CallEvent,
  ObservabilityInterceptors,
  ObservabilityOptions,
  OpenTelemetryProviders,
} from "./policy/observability/index.js";
export { createObservability } from "./policy/observability/index.js";
export type {
  MeterProviderLike,
  TextMapPropagatorLike,
  TracerProviderLike,
} from "./policy/observability/provider-types.js";
export type { ReadCacheOptions } from "./policy/read-cache.js";
export type { RetryBudgetOptions } from "./policy/retry-budget.js";
export type { GiveUpEvent, RetryEvent } from "./policy/retry-interceptor.js";
export type {
  ConsolidationOptions,
  ConsolidationResult,
  EmbeddingService,
  ExtractedFact,
  ExtractionEngine,
  GenerationResult,
  HashingEmbeddingOptions,
  MemoryGenerationOptions,
  ProgressEvent,
  ProgressListener,
} from "./workers/index.js";
export {
  ConsolidationWorker,
  HashingEmbeddingService,
  MemoryGenerationWorker,
} from "./workers/index.js";
