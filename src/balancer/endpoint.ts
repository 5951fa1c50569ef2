import type {
  StreamRequest,
  StreamResponse,
  UnaryRequest,
  UnaryResponse,
} from "@connectrpc/connect";
import { PeakEwma } from "./peak-ewma.js";
import type { ServiceTarget } from "./service-urls.js";

/** One address of one target: where an endpoint connects, and what it calls the host. */
export interface EndpointAddress {
  readonly target: ServiceTarget;
  /** The address connected to: an IP, or the host name when the target's resolver gave none. */
  readonly address: string;
  /** E.g. "http://10.0.0.7:8001", "http://[::1]:8001". */
  readonly origin: string;
}

/** Sends one attempt to one endpoint. */
export type EndpointSend = (req: UnaryRequest) => Promise<UnaryResponse>;

/** Opens one streaming call on one endpoint: resolves once the response headers came. */
export type EndpointStream = (req: StreamRequest) => Promise<StreamResponse>;

/** What one endpoint's attempts go through: its connections, leased, and the way to give them back. */
export interface EndpointConnection {
  readonly send: EndpointSend;
  readonly stream: EndpointStream;
  release(): void;
}

/** The state of an endpoint that {@link Endpoint.state} reports. */
export type EndpointState = "serving" | "ejected" | "probation" | "unhealthy" | "draining";

/**
 * One address of the service and what the balancer knows of it: calls outstanding, latency,
 * outlier state, health. Its connections are its own: a pool of HTTP/2 connections or a set of
 * HTTP/1.1 sockets to this address alone.
 */
export class Endpoint {
  /** Attempts sent and not yet answered (streams until they opened). */
  outstanding = 0;
  /**
   * Streams open on its connections. They do not count as outstanding once open: a watch that
   * lasts an hour says nothing about how fast the endpoint answers.
   */
  openStreams = 0;
  readonly latency: PeakEwma;
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** When an ejection ends (performance.now() time), 0 when not ejected. */
  ejectedUntil = 0;
  /** Ejections so far, less one per quiet interval: each one lasts longer than the last. */
  ejections = 0;
  /** Back from an ejection, not yet answered well: its next failure ejects it again. */
  probation = false;
  /** Outcomes in the current outlier-detection interval. */
  intervalSuccesses = 0;
  intervalFailures = 0;
  /** False while active health checks say it is not serving. */
  healthy = true;
  /** No longer resolved: takes no new attempt, closes once its last one is done. */
  draining = false;

  constructor(
    /** Where it connects. */
    readonly where: EndpointAddress,
    private readonly connection: EndpointConnection,
    decayMs: number,
    initialLatencyMs: number,
    now: number,
  ) {
    this.latency = new PeakEwma(decayMs, initialLatencyMs, now);
  }

  /** Where it connects, e.g. "http://10.0.0.7:8001". */
  get origin(): string {
    return this.where.origin;
  }

  get send(): EndpointSend {
    return this.connection.send;
  }

  get stream(): EndpointStream {
    return this.connection.stream;
  }

  /** What it is doing now, for diagnostics and tests. */
  get state(): EndpointState {
    if (this.draining) return "draining";
    if (this.ejectedUntil !== 0) return "ejected";
    if (!this.healthy) return "unhealthy";
    return this.probation ? "probation" : "serving";
  }

  /** Gives its connections back once no attempt or stream uses them. */
  drain(): void {
    this.draining = true;
    this.releaseIfUnused();
  }

  /** After an attempt: closes a draining endpoint's connections with its last attempt. */
  settled(): void {
    this.outstanding--;
    this.releaseIfUnused();
  }

  /** After a stream that opened has ended. */
  streamEnded(): void {
    this.openStreams--;
    this.releaseIfUnused();
  }

  private releaseIfUnused(): void {
    if (this.draining && this.outstanding === 0 && this.openStreams === 0) {
      this.connection.release();
    }
  }
}
