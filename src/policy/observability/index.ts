export type {
  CallEvent,
  ObservabilityInterceptors,
  ObservabilityOptions,
  OpenTelemetryProviders,
} from "./create-observability.js";
export { createObservability } from "./create-observability.js";
