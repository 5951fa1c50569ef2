import {
  Code,
  ConnectError,
  createContextKey,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { failureKind } from "../policy/transient.js";
import { unreadCallSignal } from "../transport/call-signal.js";
import type { Endpoint } from "./endpoint.js";
import { EndpointSet, type EndpointSetOptions } from "./endpoint-set.js";
import {
  HealthChecker,
  type HealthCheckOptions,
  type HealthCheckTarget,
} from "./health-checker.js";
import { type OutlierDetectionOptions, OutlierDetector } from "./outlier-detector.js";

/** How a balancer chooses among endpoints. */
export type LoadBalancing = "peak-ewma" | "round-robin";

/** Options of {@link Balancer}. */
export interface BalancerOptions extends EndpointSetOptions {
  readonly loadBalancing: LoadBalancing;
  /** Undefined: no ejection. */
  readonly outlierDetection: Required<OutlierDetectionOptions> | undefined;
  /** Undefined: no active health checks. */
  readonly healthCheck: (Required<HealthCheckOptions> & HealthCheckTarget) | undefined;
}

/** The endpoints the attempts of one call went to: retries and hedges go elsewhere if they can. */
const triedKey = createContextKey<Set<Endpoint> | undefined>(undefined, {
  description: "endpoints tried by this call",
});

/** Attempts sent again at once, on another endpoint, because the server never saw them. */
const maxResends = 3;
/**
 * Costs closer than this factor are taken as equal, and the endpoint with fewer calls in flight
 * wins: on a shared host latency estimates wander by that much between equal replicas, and
 * following the wander skewed a healthy fleet's shares by up to a third. A replica that is really
 * slower (50 ms on a few ms) is many times costlier.
 */
const indifference = 1.5;
/** Added to every latency estimate, so that outstanding calls count between untried endpoints. */
const minLatencyMs = 0.001;
/** What an endpoint with attempts in flight and no latency to show costs (ms, as a latency). */
const unknownPenalty = 1_000_000;
/** The least latency a failed attempt is counted at. */
const failurePenaltyMs = 1_000;

/**
 * Spreads a client's attempts over the endpoints of its service. Each attempt goes to the cheaper
 * of two endpoints drawn at random (power of two choices), an endpoint's cost being its peak-EWMA
 * latency times its outstanding attempts plus one, as in Finagle and Linkerd (costs within a
 * factor of 1.5 count as equal, and fewer calls in flight wins): a slow or busy endpoint gets
 * less, a fast one more, and no endpoint is starved of the calls that would show it recovered. An attempt avoids the endpoints the call's earlier attempts went to (a retry, the
 * second attempt of a hedged read) while another is available; ejected or unhealthy endpoints are
 * skipped unless no other is left. An attempt that no server saw (its connection was refused, or
 * its stream refused unprocessed) goes again at once to another endpoint, without spending a
 * retry.
 */
export class Balancer {
  private readonly set: EndpointSet;
  private readonly outliers: OutlierDetector | undefined;
  private readonly outlierTimer: NodeJS.Timeout | undefined;
  private readonly health: HealthChecker | undefined;
  private readonly roundRobin: boolean;
  private nextIndex = 0;

  constructor(options: BalancerOptions) {
    this.set = new EndpointSet(options);
    this.roundRobin = options.loadBalancing === "round-robin";
    const endpoints = () => this.set.endpoints;
    if (options.outlierDetection) {
      const outliers = new OutlierDetector(options.outlierDetection, endpoints);
      this.outliers = outliers;
      this.outlierTimer = setInterval(
        () => outliers.interval(performance.now()),
        options.outlierDetection.intervalMs,
      ).unref();
    }
    if (options.healthCheck) {
      this.health = new HealthChecker(options.healthCheck, options.healthCheck, endpoints);
    }
  }

  /** The endpoints in rotation now, for diagnostics and tests. */
  get endpoints(): readonly Endpoint[] {
    return this.set.endpoints;
  }

  /** Sends one attempt to the endpoint chosen for it. */
  readonly send = (req: UnaryRequest): Promise<UnaryResponse> =>
    this.attempt(req, (endpoint) => endpoint.send(req));

  /**
   * Opens a streaming call on the endpoint chosen for it, as an attempt that lasts until the
   * response headers came; the endpoint keeps its connections while the stream is open.
   */
  readonly stream = async (req: StreamRequest): Promise<StreamResponse> => {
    // A server stream's one request message is read once, so that an attempt no server saw can
    // go again, to another endpoint, with it: the caller's iterable can be read only once. The
    // messages of a client or bidi stream cannot be replayed, so such a stream is not resent.
    const replayable = req.method.methodKind === "server_streaming";
    const messages = replayable ? await allOf(req.message) : undefined;
    return this.attempt(
      req,
      async (endpoint) => {
        const attempt = messages ? { ...req, message: iterableOf(messages) } : req;
        const response = await endpoint.stream(attempt);
        endpoint.openStreams++;
        // Once, when the reading ends or the call is aborted, whichever comes first: a reader
        // that stops through connect's generated client never reaches the iterator's return().
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          req.signal.removeEventListener("abort", end);
          endpoint.streamEnded();
        };
        req.signal.addEventListener("abort", end, { once: true });
        return { ...response, message: endingWith(response.message, end) };
      },
      replayable,
    );
  };

  private async attempt<R>(
    req: UnaryRequest | StreamRequest,
    open: (endpoint: Endpoint) => Promise<R>,
    resendable = true,
  ): Promise<R> {
    if (this.set.endpoints.length === 0) await untilReady(this.set.ready(), req);
    const count = this.set.endpoints.length;
    if (count === 0) {
      throw new ConnectError(
        this.set.lastError?.message ?? "the service's URL has no endpoint",
        Code.Unavailable,
        undefined,
        undefined,
        this.set.lastError,
      );
    }
    let tried: Set<Endpoint> | undefined;
    if (count > 1) {
      tried = req.contextValues.get(triedKey);
      if (tried === undefined) {
        tried = new Set();
        req.contextValues.set(triedKey, tried);
      }
    }
    for (let resends = 0; ; resends++) {
      const start = performance.now();
      const endpoint = this.pick(tried, start);
      tried?.add(endpoint);
      endpoint.outstanding++;
      try {
        const response = await open(endpoint);
        const now = performance.now();
        endpoint.latency.observe(now - start, now);
        this.outliers?.succeeded(endpoint);
        return response;
      } catch (e) {
        const error = ConnectError.from(e);
        const now = performance.now();
        const verdict = this.judge(error, req);
        // A failure counts as slow, however fast: an endpoint that fails at once must not look
        // like the fastest.
        endpoint.latency.observe(
          verdict === "failed" ? Math.max(now - start, failurePenaltyMs) : now - start,
          now,
        );
        if (verdict === "failed") this.outliers?.failed(endpoint, now);
        else if (verdict === "answered") this.outliers?.succeeded(endpoint);
        if (verdict === "failed" && failureKind(error) !== "status") this.set.connectionFailed();
        if (
          verdict === "failed" &&
          resendable &&
          neverSeen(error) &&
          resends < maxResends &&
          this.hasUntried(tried, now)
        ) {
          continue;
        }
        throw error;
      } finally {
        endpoint.settled();
      }
    }
  }

  /** Stops resolving, checking and ejecting; closes each endpoint once its calls are done. */
  close(): void {
    clearInterval(this.outlierTimer);
    this.health?.close();
    this.set.close();
  }

  /**
   * Whether an attempt's failure counts against its endpoint: a broken or refused connection and
   * the statuses of a server in trouble do (as Envoy's "5xx" do); an answer such as NOT_FOUND
   * shows a working endpoint; a cancel (the caller's, the deadline's, a hedge's loser) says
   * nothing about it.
   */
  private judge(
    error: ConnectError,
    req: UnaryRequest | StreamRequest,
  ): "failed" | "answered" | "neither" {
    const call = req.stream ? undefined : unreadCallSignal(req);
    if (call ? call.aborted : req.signal.aborted) return "neither";
    if (failureKind(error) !== "status") return "failed";
    switch (error.code) {
      case Code.Unavailable:
      case Code.Internal:
      case Code.Unknown:
      case Code.DataLoss:
      case Code.DeadlineExceeded:
        return "failed";
      case Code.Canceled:
        return "neither";
      default:
        return "answered";
    }
  }

  /** Whether an endpoint in rotation, not ejected, is left that this call has not tried. */
  private hasUntried(tried: Set<Endpoint> | undefined, now: number): boolean {
    if (tried === undefined) return false;
    return this.set.endpoints.some((e) => !tried.has(e) && this.isAvailable(e, now));
  }

  private isAvailable(endpoint: Endpoint, now: number): boolean {
    return endpoint.healthy && !(this.outliers?.isEjected(endpoint, now) ?? false);
  }

  /**
   * The endpoint for the next attempt: among those available and not tried by this call; else
   * among those available; else (every endpoint ejected or failing its checks) among all, since
   * sending to an endpoint that may fail beats failing for sure.
   */
  private pick(tried: Set<Endpoint> | undefined, now: number): Endpoint {
    const all = this.set.endpoints;
    if (all.length === 1) return all[0] as Endpoint;
    let candidates = all.filter((e) => this.isAvailable(e, now) && !tried?.has(e));
    if (candidates.length === 0) candidates = all.filter((e) => this.isAvailable(e, now));
    if (candidates.length === 0) candidates = all;
    if (this.roundRobin) {
      this.nextIndex = (this.nextIndex + 1) % 0x7fffffff;
      return candidates[this.nextIndex % candidates.length] as Endpoint;
    }
    if (candidates.length === 1) return candidates[0] as Endpoint;
    const i = Math.floor(Math.random() * candidates.length);
    let j = Math.floor(Math.random() * (candidates.length - 1));
    if (j >= i) j++;
    const a = candidates[i] as Endpoint;
    const b = candidates[j] as Endpoint;
    const costA = cost(a, now);
    const costB = cost(b, now);
    if (costA * indifference < costB) return a;
    if (costB * indifference < costA) return b;
    return b.outstanding < a.outstanding ? b : a;
  }
}

/**
 * Peak-EWMA latency weighted by the attempts the endpoint is working on. An endpoint with no
 * latency to show (new, or back after a long rest) but attempts in flight costs a penalty, as in
 * Finagle: otherwise its near-zero estimate would draw every concurrent call before it answers
 * one, and all of them would wait on it if it does not answer.
 */
function cost(endpoint: Endpoint, now: number): number {
  const latency = endpoint.latency.valueAt(now);
  if (latency < minLatencyMs && endpoint.outstanding > 0)
    return unknownPenalty + endpoint.outstanding;
  return (latency + minLatencyMs) * (endpoint.outstanding + 1);
}

/**
 * Whether the server never saw the attempt: the transport's own report of a refused connection
 * or stream (it carries node's error as its cause). A server's status whose message merely
 * mentions a refusal is an answer, and is never sent again here.
 */
function neverSeen(error: ConnectError): boolean {
  return error.cause !== undefined && failureKind(error) === "refused";
}

/** The first resolution, or the call's end (its deadline or cancel), whichever comes first. */
async function untilReady(
  ready: Promise<void> | undefined,
  req: UnaryRequest | StreamRequest,
): Promise<void> {
  if (ready === undefined) return;
  const signal = req.signal;
  if (signal.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(ConnectError.from(signal.reason, Code.Canceled));
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** `messages`, then `ended()` however the reading ends. */
async function* endingWith<T>(messages: AsyncIterable<T>, ended: () => void): AsyncIterable<T> {
  try {
    yield* messages;
  } finally {
    ended();
  }
}

async function allOf<T>(messages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const message of messages) all.push(message);
  return all;
}

async function* iterableOf<T>(messages: readonly T[]): AsyncIterable<T> {
  yield* messages;
}
