/**
 * The gRPC health checking protocol (grpc.health.v1.Health), for orchestrators and load balancers
 * that probe over gRPC.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../../gen/grpc/health/v1/health_pb.js";
import type { ReadinessProbe } from "./readiness.js";

/** The fully-qualified name of the health service, which is never behind authentication. */
export const healthServiceName: string = Health.typeName;

/** What the health service reports on. */
export interface HealthOptions {
  /** Services that answer SERVING or NOT_SERVING; "" (the whole server) always does. */
  readonly serviceNames: readonly string[];
  /** Whether the server can take calls. */
  readonly probe: ReadinessProbe;
  /** Aborts when the server starts shutting down, which ends every Watch stream. */
  readonly draining: AbortSignal;
  /** How often Watch re-runs the probe to notice changes. */
  readonly pollIntervalMs: number;
}

/** Registers grpc.health.v1.Health on the router. */
export function registerHealth(router: ConnectRouter, options: HealthOptions): void {
  const known = new Set(["", ...options.serviceNames]);

  const status = async (service: string): Promise<ServingStatus> => {
    if (!known.has(service)) {
      return ServingStatus.SERVICE_UNKNOWN;
    }
    return (await options.probe()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };

  router.service(Health, {
    async check(request: HealthCheckRequest): Promise<HealthCheckResponse> {
      if (!known.has(request.service)) {
        // The protocol asks for NOT_FOUND here; SERVICE_UNKNOWN is for Watch only.
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return create(HealthCheckResponseSchema, { status: await status(request.service) });
    },

    async *watch(
      request: HealthCheckRequest,
      context: HandlerContext,
    ): AsyncGenerator<HealthCheckResponse> {
      const stop = [context.signal, options.draining];
      let last: ServingStatus | undefined;
      // An unknown service gets SERVICE_UNKNOWN and the stream stays open, as the protocol says:
      // the client keeps watching rather than reconnecting in a loop.
      while (!context.signal.aborted) {
        const current = await unlessAborted(status(request.service), stop);
        if (context.signal.aborted) {
          return; // The client hung up; nobody is listening.
        }
        // Undefined means shutdown began while a slow probe was running: that is NOT_SERVING.
        const next = current ?? ServingStatus.NOT_SERVING;
        if (next !== last) {
          last = next;
          yield create(HealthCheckResponseSchema, { status: next });
        }
        if (options.draining.aborted) {
          // The watcher has had the final status; end the stream cleanly so draining
          // does not have to wait for the client to hang up.
          return;
        }
        await unlessAborted(delay(options.pollIntervalMs), stop);
      }
    },
  });
}

/** Resolves after `ms`; the timer does not hold the process open. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Settles like `promise`, or resolves undefined as soon as one of the signals aborts. */
function unlessAborted<T>(
  promise: Promise<T>,
  signals: readonly AbortSignal[],
): Promise<T | undefined> {
  if (signals.some((s) => s.aborted)) {
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => settle(() => resolve(undefined));
    const settle = (finish: () => void) => {
      for (const s of signals) {
        s.removeEventListener("abort", onAbort);
      }
      finish();
    };
    for (const s of signals) {
      s.addEventListener("abort", onAbort, { once: true });
    }
    promise.then(
      (value) => settle(() => resolve(value)),
      (reason: unknown) => settle(() => reject(reason)),
    );
  });
}
