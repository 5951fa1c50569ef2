// The chaos suite's fault plan and bookkeeping: faults drawn from a seeded PRNG per call and
// attempt, so that a seed gives each attempt the same fault whatever order requests reach the
// proxy in (what a connection reset or the server's outage takes down with it still depends on
// timing); the record of every call; and the tally of what the services stored.
import * as http2 from "node:http2";
import { readTimeoutMs } from "../../src/policy/deadline-header.js";
import type { Attempt, Fault, PlannedRequest } from "../support/fault-proxy.js";
import { mulberry32 } from "../support/mulberry32.js";

/** The request header carrying a call's marker, so the plan can key its draw on the call. */
export const markerHeader = "x-chaos-marker";

/** How likely each fault is, per attempt; the rest are forwarded. */
export interface FaultRates {
  readonly resetRequest: number;
  readonly resetResponse: number;
  readonly unavailable: number;
  readonly stall: number;
}

export const defaultRates: FaultRates = {
  resetRequest: 0.05,
  resetResponse: 0.05,
  unavailable: 0.05,
  stall: 0.01,
};

/** 32-bit FNV-1a of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A number in [0, 1) determined by the seed and the parts, e.g. (transport, marker, attempt). */
export function draw(seed: number, ...parts: (string | number)[]): number {
  return mulberry32(fnv1a(`${seed}:${parts.join(":")}`))();
}

/** What a chaos plan decided so far, by fault, with HTTP/2 resets split by reach. */
export type Injected = Record<string, number>;

/**
 * A fault plan for the proxy: each attempt of a call (recognised by its marker header) draws its
 * fault from the seed, the call's marker and the attempt's number. Requests without a marker, and
 * every request while `enabled()` is false, are forwarded. A transient status is a 503 for
 * Connect requests and a gRPC UNAVAILABLE (14) for gRPC ones.
 *
 * A reset of an HTTP/1.1 request resets its connection, which carries that request only. On
 * HTTP/2 a connection carries every call in flight (32 here), so resetting it for 10% of the
 * attempts would fail nearly every attempt; there `connectionShare` of the resets reset the
 * connection and the others only the request's stream (RST_STREAM INTERNAL_ERROR), which is what
 * an HTTP/2 proxy or load balancer does to one failed request.
 */
export function chaosPlan(options: {
  seed: number;
  scope: string;
  rates?: FaultRates;
  connectionShare?: number;
  enabled: () => boolean;
}): { plan: (request: PlannedRequest) => Fault; injected: Injected } {
  const rates = options.rates ?? defaultRates;
  const connectionShare = options.connectionShare ?? 0.1;
  const attemptsOf = new Map<string, number>();
  const injected: Injected = {};
  const count = (label: string) => {
    injected[label] = (injected[label] ?? 0) + 1;
  };
  const reset = (
    kind: "reset-request" | "reset-response",
    request: PlannedRequest,
    marker: string,
    attempt: number,
  ): Fault => {
    if (request.httpVersion === "1.1") {
      count(kind);
      return { kind };
    }
    if (draw(options.seed, options.scope, marker, attempt, "reach") < connectionShare) {
      count(`${kind}/connection`);
      return { kind };
    }
    count(`${kind}/stream`);
    return { kind, rstStream: http2.constants.NGHTTP2_INTERNAL_ERROR };
  };
  const plan = (request: PlannedRequest): Fault => {
    const marker = request.headers[markerHeader];
    if (marker === undefined || !options.enabled()) return { kind: "forward" };
    const attempt = (attemptsOf.get(marker) ?? 0) + 1;
    attemptsOf.set(marker, attempt);
    const r = draw(options.seed, options.scope, marker, attempt);
    let below = rates.resetRequest;
    if (r < below) return reset("reset-request", request, marker, attempt);
    below += rates.resetResponse;
    if (r < below) return reset("reset-response", request, marker, attempt);
    below += rates.unavailable;
    if (r < below) {
      if ((request.headers["content-type"] ?? "").startsWith("application/grpc")) {
        count("grpc-status-14");
        return { kind: "grpc-status", code: 14, message: "chaos: unavailable" };
      }
      count("status-503");
      return { kind: "status", status: 503 };
    }
    below += rates.stall;
    if (r < below) {
      count("stall");
      return { kind: "stall" };
    }
    return { kind: "forward" };
  };
  return { plan, injected };
}

/** One create of the run and how it ended. */
export interface CallRecord {
  readonly kind: "event" | "memory";
  /** Unique in the run: in the event's data (`n`) or the memory's fact (`#n`). */
  readonly marker: number;
  /** performance.now() when the call started. */
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** The created record's id, when the call succeeded. */
  readonly id?: string;
  /** When the call failed: the error's class name ("ServiceUnavailableError", ...). */
  readonly errorClass?: string;
  /** When the call failed with a ConnectError: its code's name ("Unavailable", ...). */
  readonly code?: string;
  /** When the call failed with a ServiceUnavailableError: its reason ("circuit-open", ...). */
  readonly reason?: string;
  /** When the call failed with a ServiceUnavailableError: how many attempts it made. */
  readonly attempts?: number;
  /** When the call failed: its message, for failure reports. */
  readonly message?: string;
}

/** A record the services stored, with the marker found in its content. */
export interface StoredRecord {
  readonly kind: "event" | "memory";
  readonly id: string;
  readonly marker: number | undefined;
}

/** What the run's records and the stored ones say together. */
export interface Tally {
  readonly succeeded: number;
  readonly failed: number;
  /** Failures by "Class/Code", with "/reason" for a ServiceUnavailableError. */
  readonly failedBy: Record<string, number>;
  /** Failed calls whose marker was stored anyway (the create happened, its answer was lost). */
  readonly failedButStored: number;
  readonly stored: number;
  /** Succeeded calls whose returned id is not stored exactly once, under the call's marker. */
  readonly lost: CallRecord[];
  /** Markers stored more than once. */
  readonly doubled: number[];
  /** Stored records with no marker of this run. */
  readonly strangers: StoredRecord[];
  /** Failures that are not ConnectErrors. */
  readonly untyped: CallRecord[];
  readonly worstDurationMs: number;
}

/** Compares the calls made with what was stored. */
export function tally(calls: readonly CallRecord[], stored: readonly StoredRecord[]): Tally {
  const byMarker = new Map<number, StoredRecord[]>();
  const idCount = new Map<string, number>();
  const strangers: StoredRecord[] = [];
  const markers = new Set(calls.map((c) => `${c.kind}:${c.marker}`));
  for (const record of stored) {
    idCount.set(record.id, (idCount.get(record.id) ?? 0) + 1);
    if (record.marker === undefined || !markers.has(`${record.kind}:${record.marker}`)) {
      strangers.push(record);
      continue;
    }
    const list = byMarker.get(record.marker) ?? [];
    list.push(record);
    byMarker.set(record.marker, list);
  }
  const failedBy: Record<string, number> = {};
  const lost: CallRecord[] = [];
  const untyped: CallRecord[] = [];
  let succeeded = 0;
  let failedButStored = 0;
  let worstDurationMs = 0;
  for (const call of calls) {
    worstDurationMs = Math.max(worstDurationMs, call.durationMs);
    const found = byMarker.get(call.marker) ?? [];
    if (call.id !== undefined) {
      succeeded++;
      if (idCount.get(call.id) !== 1 || !found.some((r) => r.id === call.id)) lost.push(call);
      continue;
    }
    const key = [call.errorClass, call.code ?? "-", ...(call.reason ? [call.reason] : [])].join(
      "/",
    );
    failedBy[key] = (failedBy[key] ?? 0) + 1;
    if (call.code === undefined) untyped.push(call);
    if (found.length > 0) failedButStored++;
  }
  const doubled = [...byMarker].filter(([, list]) => list.length > 1).map(([marker]) => marker);
  return {
    succeeded,
    failed: calls.length - succeeded,
    failedBy,
    failedButStored,
    stored: stored.length,
    lost,
    doubled,
    strangers,
    untyped,
    worstDurationMs,
  };
}

/** Attempts seen by a proxy, counted by the fault the plan chose ("grpc-status" and "status" apart). */
export function faultsByKind(attempts: readonly Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const attempt of attempts) counts[attempt.fault] = (counts[attempt.fault] ?? 0) + 1;
  return counts;
}

/** Whether the proxy answered the attempt itself with a 503 or a gRPC UNAVAILABLE. */
export function isTransientAnswer(attempt: Attempt): boolean {
  return attempt.fault === "status" || attempt.fault === "grpc-status";
}

/** The attempts of each call (by marker), in the order the proxies received them. */
export function attemptsByMarker(attempts: readonly Attempt[]): Map<number, Attempt[]> {
  const byMarker = new Map<number, Attempt[]>();
  for (const attempt of attempts) {
    const marker = attempt.headers[markerHeader];
    if (marker === undefined) continue;
    const list = byMarker.get(Number(marker)) ?? [];
    list.push(attempt);
    byMarker.set(Number(marker), list);
  }
  return byMarker;
}

/**
 * The retries after a 503 or UNAVAILABLE answer, and those of them that carried no less time on
 * the wire (`grpc-timeout` or `connect-timeout-ms`) than the attempt before. Such a retry comes at
 * least half a retry delay later and must send the time left of the call's deadline, so `fresh` is
 * empty for a client that does, however slow the machine. (After a reset, a transport may send the
 * request again at once as it was, e.g. when a reused keep-alive socket turns out closed: those
 * are not counted.)
 */
export function retryDeadlines(byMarker: ReadonlyMap<number, readonly Attempt[]>): {
  checked: number;
  fresh: Attempt[];
} {
  let checked = 0;
  const fresh: Attempt[] = [];
  for (const list of byMarker.values()) {
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1] as Attempt;
      const attempt = list[i] as Attempt;
      if (!isTransientAnswer(before)) continue;
      const previousMs = readTimeoutMs(new Headers(before.headers));
      const timeoutMs = readTimeoutMs(new Headers(attempt.headers));
      if (previousMs === undefined || timeoutMs === undefined) continue;
      checked++;
      if (timeoutMs >= previousMs) fresh.push(attempt);
    }
  }
  return { checked, fresh };
}

/** `{ a: 1, b: 2 }` as "a=1 b=2", keys sorted; "none" when empty. */
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k}=${v}`).join(" ");
}
