/**
 * Plain HTTP health endpoints, for probes that cannot speak gRPC (Kubernetes httpGet, load
 * balancers, curl). They answer every request the RPC router does not claim.
 */
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { ReadinessProbe } from "./readiness.js";

/** Serves a request that matched no RPC, over either HTTP version. */
export type HttpFallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

// connect-node does not export its request and response types by name.
type NodeServerRequest = Parameters<HttpFallback>[0];
type NodeServerResponse = Parameters<HttpFallback>[1];

/**
 * Serves `GET /health` and `GET /health/live` (the process is up: always 200) and
 * `GET /health/ready` (200 or 503 per `probe`); anything else is 404.
 */
export function createHealthHttpHandler(probe: ReadinessProbe): HttpFallback {
  return (request, response) => {
    const path = (request.url ?? "").split("?", 1)[0];
    const live = path === "/health" || path === "/health/live";
    if (!live && path !== "/health/ready") {
      respond(request, response, 404, undefined);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      respond(request, response, 405, undefined, { allow: "GET, HEAD" });
      return;
    }
    if (live) {
      respond(request, response, 200, "ok");
      return;
    }
    void probe().then((ok) =>
      respond(request, response, ok ? 200 : 503, ok ? "ok" : "unavailable"),
    );
  };
}

function respond(
  request: NodeServerRequest,
  response: NodeServerResponse,
  code: number,
  status: string | undefined,
  extraHeaders: Record<string, string> = {},
): void {
  // The client may have gone while the readiness check ran.
  if (response.headersSent || response.destroyed) {
    return;
  }
  const body = status === undefined ? "" : JSON.stringify({ status });
  response.writeHead(code, {
    ...extraHeaders,
    ...(body === "" ? {} : { "content-type": "application/json" }),
    "content-length": Buffer.byteLength(body),
    // A cached "ok" would hide an outage from the prober.
    "cache-control": "no-store",
  });
  if (request.method === "HEAD" || body === "") {
    response.end();
  } else {
    response.write(body);
    response.end();
  }
}
