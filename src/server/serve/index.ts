/**
 * The serving layer: one port for gRPC, gRPC-Web and Connect over HTTP/1.1 and HTTP/2, cleartext or
 * TLS, with health checks, API-key auth, limits and graceful shutdown.
 */
export type { AuthOptions } from "./auth.js";
export { createAuthInterceptor } from "./auth.js";
export type { RunningServer, ServeOptions } from "./serve.js";
export { serve } from "./serve.js";
export type { ServeTlsOptions } from "./tls.js";
