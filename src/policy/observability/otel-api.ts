import { createRequire } from "node:module";
import type * as OpenTelemetryApi from "@opentelemetry/api";

/** The `@opentelemetry/api` module, as `require` returns it. */
export type OtelApi = typeof OpenTelemetryApi;

// undefined: not tried yet; null: tried, not installed (or not loadable).
let loaded: OtelApi | null | undefined;

/**
 * `@opentelemetry/api` when it is installed, else undefined; looked up once per process.
 *
 * The API is an optional peer dependency, so a static import would break installs without it, and
 * a dynamic `import()` would make client construction async. It ships CommonJS (its `exports`
 * give Node the CJS build even to `import`), so `require` yields the same module instance an
 * application's own `import` does; the API also keeps its providers on a global, which makes even
 * two copies share them.
 */
export function loadOtelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
