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
  /** Adds the client's credentials, for a gateway in front of the replicas that asks for them. */
  readonly writeCredentials: (header: Headers) => void;
}

/**
 * Asks every endpoint `grpc.health.v1.Health/Check` for the service, every `intervalMs`, on the
 * endpoint's own connections and protocol. One that answers NOT_SERVING, or does not answer in
 * time, takes no calls until it answers SERVING again, unless no endpoint does. A server without
 * the health service (UNIMPLEMENTED) is taken as serving: it cannot say otherwise. A check
 * refused for its credentials (UNAUTHENTICATED, PERMISSION_DENIED) says nothing of the replica and
 * leaves its state as it was; an endpoint whose last check is still out is not asked again.
 */
export class HealthChecker {
  private readonly timer: NodeJS.Timeout;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  /** Endpoints whose check is out: a late answer must not overwrite a newer one. */
  private readonly checking = new Set<Endpoint>();

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
    if (endpoint.draining || this.checking.has(endpoint)) return;
    this.checking.add(endpoint);
    const header = new Headers();
    this.target.writeCredentials(header);
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
      const code = ConnectError.from(error).code;
      if (code !== Code.Unauthenticated && code !== Code.PermissionDenied) {
        endpoint.healthy = code === Code.Unimplemented;
      }
    } finally {
      this.checking.delete(endpoint);
      endpoint.settled();
    }
  }
}
