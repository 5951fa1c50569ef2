import { clone, type DescMessage, toJson } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import type { Interceptor, UnaryResponse } from "@connectrpc/connect";
import { canonicalJson } from "../util/canonical-json.js";

/** Options of `ClientOptions.readCache`: a TTL cache of reads. */
export interface ReadCacheOptions {
  /** How long an answer is served from the cache. */
  readonly ttlMs: number;
  /** Most answers kept; the oldest go first. Defaults to 1000. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly expiresAt: number;
  readonly response: UnaryResponse;
  /** The ids the request named: a write naming one of them makes the entry stale. */
  readonly ids: ReadonlySet<string>;
  /** Lists and searches go stale with any write of their service. */
  readonly listing: boolean;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A TTL cache of NO_SIDE_EFFECTS answers, keyed by method and request. A write through the same
 * client drops what it may have changed: every cached read that names one of the ids the write
 * names, and every cached list, batch and search of that service. Writes by others are seen only
 * once an entry expires, so keep `ttlMs` short. Goes outermost: a hit costs no attempt at all.
 * Every hit is a copy, so callers may change what they get.
 */
export function createReadCache({ ttlMs, maxEntries = 1000 }: ReadCacheOptions): Interceptor {
  const entries = new Map<string, Entry>();
  // Bumped by every write, answered or not: a read that was in flight across a write may hold
  // what the write changed, so it is not cached.
  let writes = 0;
  return (next) => async (req) => {
    if (req.stream) return await next(req);
    const ids = idsIn(req.method.input, req.message);
    if (req.method.idempotency !== Idempotency.NO_SIDE_EFFECTS) {
      try {
        return await next(req);
      } finally {
        // Also after a failure: the write may have been applied before its answer was lost.
        writes++;
        for (const [key, entry] of entries) {
          const service = key.slice(0, key.indexOf("/"));
          if (
            (entry.listing && service === req.service.typeName) ||
            [...ids].some((id) => entry.ids.has(id))
          ) {
            entries.delete(key);
          }
        }
      }
    }
    // Credentials are part of the key: one caller's answer is not another's.
    const who = `${req.header.get("authorization") ?? ""} ${req.header.get("x-api-key") ?? ""}`;
    const key = `${req.service.typeName}/${req.method.name} ${who} ${canonicalJson(toJson(req.method.input, req.message))}`;
    const hit = entries.get(key);
    if (hit && hit.expiresAt > performance.now()) {
      return { ...hit.response, message: clone(req.method.output, hit.response.message) };
    }
    const writesBefore = writes;
    const response = (await next(req)) as UnaryResponse;
    if (writes !== writesBefore) return response;
    entries.delete(key);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(key, {
      expiresAt: performance.now() + ttlMs,
      response: { ...response, message: clone(req.method.output, response.message) },
      ids,
      listing: !/^Get/.test(req.method.name),
    });
    return response;
  };
}

/** The UUIDs a request names, in any string field at any depth. */
function idsIn(schema: DescMessage, message: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === "string") {
      if (uuid.test(value)) ids.add(value.toLowerCase());
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === "object") {
      Object.values(value).forEach(visit);
    }
  };
  visit(toJson(schema, message as never));
  return ids;
}
