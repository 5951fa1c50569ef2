import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type UnaryRequest } from "@connectrpc/connect";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { Endpoint } from "./endpoint.js";

/** Options of `ClientOptions.healthCheck`: active checks over `grpc.health.v1`. */
export interface HealthCheckOptions {
  /** How often each endpoint is asked. Env `*_SERVICE_HEALTH_CHECK_INTERVAL`. Defaults to 5 s. */
  readonly intervalMs?: number;
  /** How long an answer may take; a later one counts as not serving. Defaults to 1 s. */
  readonly timeoutMs?: number;
}

/** What the checker needs of the client: the service to ask about, and how to set a deadline. */
export interface HealthCheckTarget {
  /** The service's full name, e.g. "contextiq.sessions.v1.SessionsService". */
  readonly serviceName: string;
  /** Writes a deadline into a request's header, in the protocol's own header. */
  readonly writeDeadline: (header: Headers, timeoutMs: number) => void;
}

/**
 * Asks every endpoint `grpc.health.v1.Health/Check` for the service, every `intervalMs`, on the
 * endpoint's own connections and protocol. One that answers NOT_SERVING, or does not answer in
 * time, takes no calls until it answers SERVING again, unless no endpoint does. A server without
 * the health service (UNIMPLEMENTED) is taken as serving: it cannot say otherwise.
 */
export class HealthChecker {
  private readonly timer: NodeJS.Timeout;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    options: Required<HealthCheckOptions>,
    private readonly target: HealthCheckTarget,
    private readonly endpoints: () => readonly Endpoint[],
  ) {
    this.intervalMs = options.intervalMs;
    this.timeoutMs = options.timeoutMs;
    this.timer = setInterval(() => this.checkAll(), this.intervalMs).unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Checks every endpoint once; resolves when all answered or timed out. */
  checkAll(): Promise<void> {
    return Promise.all(this.endpoints().map((e) => this.check(e))).then(() => undefined);
  }

  private async check(endpoint: Endpoint): Promise<void> {
    if (endpoint.draining) return;
    const header = new Headers();
    this.target.writeDeadline(header, this.timeoutMs);
    const request = {
      stream: false,
      service: Health,
      method: Health.method.check,
      requestMethod: "POST",
      url: `${endpoint.origin}${endpoint.where.target.pathPrefix}/${Health.typeName}/Check`,
      header,
      signal: AbortSignal.timeout(this.timeoutMs),
      contextValues: createContextValues(),
      message: create(HealthCheckRequestSchema, { service: this.target.serviceName }),
    } as UnaryRequest;
    endpoint.outstanding++;
    try {
      const response = await endpoint.send(request);
      endpoint.healthy = (response.message as HealthCheckResponse).status === ServingStatus.SERVING;
    } catch (error) {
      endpoint.healthy = ConnectError.from(error).code === Code.Unimplemented;
    } finally {
      endpoint.settled();
    }
  }
}
