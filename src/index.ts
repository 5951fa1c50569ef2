/**
 * @contextiq/clients: typed clients for ContextIQ's Sessions and Memory services, over gRPC or
 * HTTP/JSON (the Connect protocol).
 *
 * This entry point never loads server code or native modules; the reference services live in
 * `@contextiq/clients/server`.
 */

export { Code, ConnectError } from "@connectrpc/connect";
export type {
  CallOptions,
  ClientOptions,
  ClientTlsOptions,
  TransportKind,
} from "./client/client-options.js";
export type {
  MemoryChanges,
  MemoryFilter,
  MemorySearch,
  NewMemory,
  SourceTypeInput,
} from "./client/memory-client.js";
export { MemoryServiceClient } from "./client/memory-client.js";
export { requestIdOf } from "./client/request-id.js";
export type { ResolvedOptions } from "./client/resolve-options.js";
export type { EventFilter, NewEvent, NewSession, SessionFilter } from "./client/sessions-client.js";
export { SessionsServiceClient } from "./client/sessions-client.js";
export * from "./contract/index.js";
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
export type {
  CallEvent,
  ObservabilityOptions,
  OpenTelemetryProviders,
} from "./policy/observability/index.js";
export { createObservability } from "./policy/observability/index.js";
export type { RetryBudgetOptions } from "./policy/retry-budget.js";
export type { GiveUpEvent, RetryEvent, RetryOptions } from "./policy/retry-interceptor.js";
export { createRetryInterceptor } from "./policy/retry-interceptor.js";
export {
  createHttp1JsonTransport,
  createHttp2GrpcTransport,
  createKeepAliveAgent,
  type Http1JsonTransport,
  type Http1JsonTransportOptions,
  Http2ConnectionPool,
  type Http2GrpcTransport,
  type Http2GrpcTransportOptions,
  type Http2PoolOptions,
  type KeepAliveAgent,
  type KeepAliveAgentOptions,
} from "./transport/index.js";
export type {
  ConsolidationOptions,
  ConsolidationResult,
  ExtractedFact,
  ExtractionEngine,
  GenerationResult,
  MemoryGenerationOptions,
  ProgressEvent,
  ProgressListener,
} from "./workers/index.js";
export {
  ConsolidationWorker,
  MemoryGenerationWorker,
  RuleBasedExtractor,
} from "./workers/index.js";
