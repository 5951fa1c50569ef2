import { setMaxListeners } from "node:events";
import type { DescService } from "@bufbuild/protobuf";
import {
  type Client,
  Code,
  type CallOptions as ConnectCallOptions,
  ConnectError,
  createClient,
} from "@connectrpc/connect";
import type { Balancer } from "../balancer/balancer.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { currentDeadline } from "../policy/deadline-context.js";
import type { CallOptions, ClientOptions } from "./client-options.js";
import { createServiceTransport } from "./create-transport.js";
import { type ResolvedOptions, resolveOptions, type ServiceDefaults } from "./resolve-options.js";

/**
 * What both facades share: options resolved once, the generated Connect client on a pooled
 * transport, and a lifecycle. `close()` lets calls in flight finish, then gives the connection
 * back; a call after it fails with a clear error. Its members other than `close()` are internal
 * (left out of the published declarations), so that it is a type to accept either client by.
 */
export abstract class ServiceClient<Service extends DescService> implements AsyncDisposable {
  /**
   * The options in force, after env and defaults: read by this package's tests, not published.
   *
   * @internal
   */
  readonly options: ResolvedOptions;
  /** The generated Connect client. @internal */
  protected readonly rpc: Client<Service>;
  /** Where the client's attempts go. @internal */
  readonly balancer: Balancer;
  private readonly release: () => void;
  /** Aborted by close(): open streams (watches) end with it, rather than hold close() up. @internal */
  protected readonly closed = new AbortController();
  /** Calls in flight, and who waits for them to be done. */
  private active = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  /** @internal */
  protected constructor(service: Service, defaults: ServiceDefaults, options: ClientOptions) {
    this.options = resolveOptions(options, defaults);
    const { transport, balancer, release } = createServiceTransport(
      this.options,
      service.typeName,
      options,
    );
    this.rpc = createClient(service, transport);
    // Every watch of the client listens on it: many at once are not a leak.
    setMaxListeners(Number.POSITIVE_INFINITY, this.closed.signal);
    this.balancer = balancer;
    this.release = release;
    // A client dropped without close() gives its connections back and stops its balancer's
    // timers (re-resolution, outlier intervals, health checks), which would otherwise keep them
    // alive for good.
    unclosed.register(this, release, this);
  }

  /** Runs one facade call, unless the client is closed. @internal */
  protected async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.closing) {
      throw new ConnectError(
        `${this.constructor.name} is closed: create a new client to make calls`,
        Code.FailedPrecondition,
      );
    }
    // A count rather than a set of promises: one allocation less on every call.
    this.active++;
    try {
      return await call();
    } finally {
      if (--this.active === 0) this.drained?.();
    }
  }

  /**
   * Connect call options from the facade's. Under an inbound deadline (see `withDeadline`), the
   * call gets at most the time that remains of it, and is cancelled with it.
   *
   * @internal
   */
  protected connectOptions(options: CallOptions = {}): ConnectCallOptions {
    const { headers } = options;
    let { timeoutMs, signal } = options;
    checkTimeoutMs(timeoutMs);
    const inbound = currentDeadline();
    if (inbound?.deadlineMs !== undefined) {
      const remaining = inbound.deadlineMs - Date.now();
      if (remaining <= 0) {
        throw new ConnectError(
          "the deadline of the work this call is part of has passed",
          Code.DeadlineExceeded,
        );
      }
      timeoutMs = Math.min(timeoutMs ?? this.options.timeoutMs, remaining);
    }
    if (inbound?.signal)
      signal = signal ? AbortSignal.any([signal, inbound.signal]) : inbound.signal;
    return {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(signal === undefined ? {} : { signal }),
      ...(headers === undefined ? {} : { headers }),
    };
  }

  /**
   * Every item of a paged list, all pages fetched under one deadline: the call's `timeoutMs` (or
   * the client's) spans every page, as it spans every attempt of one page, and each page is sent
   * the time that remains. Passed down in the pages' options rather than by `withDeadline`: its
   * AsyncLocalStorage would switch on async hooks for the whole process from the first list on,
   * which costs every later call of the process several µs on Node 20.
   *
   * @internal
   */
  protected async allItems<T>(
    fetchPage: (pageToken: string, pageOptions: CallOptions) => Promise<Page<T>>,
    options: CallOptions = {},
  ): Promise<T[]> {
    checkTimeoutMs(options.timeoutMs);
    const deadline = performance.now() + (options.timeoutMs ?? this.options.timeoutMs);
    const pageOptions: CallOptions = {
      ...options,
      get timeoutMs() {
        const remaining = Math.floor(deadline - performance.now());
        if (remaining < 1) {
          throw new ConnectError(
            "the list's deadline passed before its next page",
            Code.DeadlineExceeded,
          );
        }
        return remaining;
      },
    };
    // Page by page rather than through eachItem: an async generator costs a promise per item.
    let all: T[] = [];
    let pageToken = "";
    do {
      const page = await fetchPage(pageToken, pageOptions);
      all = all.length === 0 ? page.items : all.concat(page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return all;
  }

  /** Waits for calls in flight, then releases the connection. Safe to call twice. */
  close(): Promise<void> {
    if (!this.closed.signal.aborted) {
      this.closed.abort(
        new ConnectError(
          `${this.constructor.name} is closed: create a new client to watch`,
          Code.FailedPrecondition,
        ),
      );
    }
    this.closing ??= new Promise<void>((resolve) => {
      if (this.active === 0) resolve();
      else this.drained = resolve;
    }).then(() => {
      unclosed.unregister(this);
      this.release();
    });
    return this.closing;
  }

  /** `await using client = new ...Client()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Releases the connections of clients collected without having been closed. */
const unclosed = new FinalizationRegistry<() => void>((release) => release());

/** One page of a list: its items, and the token of the next page ("" after the last). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

/** Every item of a paged list, fetching pages lazily as the caller iterates. */
export async function* eachItem<T>(
  fetchPage: (pageToken: string) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let pageToken = "";
  do {
    const page = await fetchPage(pageToken);
    yield* page.items;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
}

/** A response's resource, which the contract always sets: its absence is a broken server. */
export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) {
    throw new ConnectError(`the server's response has no \`${field}\``, Code.Internal);
  }
  return value;
}

/** connect takes 0 or less for "no deadline at all": refuse it rather than drop the deadline. */
function checkTimeoutMs(timeoutMs: number | undefined): void {
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 1)) {
    throw new InvalidOptionError(
      { option: "timeoutMs", fromEnvironment: false, of: "call" },
      `call option \`timeoutMs\` must be a number of ms, at least 1, got ${timeoutMs}`,
    );
  }
}
