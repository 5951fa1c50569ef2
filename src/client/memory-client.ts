import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type Memory,
  type MemoryRevision,
  MemoryService,
  type ScoredMemory,
  SourceType,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { CallOptions, ClientOptions } from "./client-options.js";
import { tagFailure } from "./request-id.js";
import { eachItem, type Page, required, ServiceClient } from "./service-client.js";

/** Where a memory came from: the enum, or the Python client's strings. */
export type SourceTypeInput = SourceType | "extracted" | "consolidated" | "direct";

/** What a new memory holds. */
export interface NewMemory {
  /** Who the memory is about, e.g. `{ user_id: "123" }`: at least one entry. */
  scope: Record<string, string>;
  /** The fact: 1-10,000 characters. */
  fact: string;
  /** At most 200 characters. */
  topic?: string;
  /** For similarity search: up to 4096 numbers. */
  embedding?: number[];
  /** 0-1; the server's default is 1. */
  confidence?: number;
  /** 0-1; the server's default is 0.5. */
  importance?: number;
  /** The server's default is "direct". */
  sourceType?: SourceTypeInput;
  /** UUID of what the memory came from, e.g. a session id. */
  sourceId?: string;
  /** Days until the memory expires, 1-730; the server's default is 365. */
  ttlDays?: number;
  /** Makes the create idempotent; generated once per call when absent. */
  requestId?: string | undefined;
}

/** Which memories to list. */
export interface MemoryFilter {
  /** Memories whose scope holds every one of these entries: at least one. */
  scope: Record<string, string>;
  /** Only memories of this topic. */
  topic?: string;
  /** Include soft-deleted and expired memories. */
  includeDeleted?: boolean;
  /** Memories per page fetched, 1-1000; the server's default is 100. */
  pageSize?: number;
}

/** A similarity search. */
export interface MemorySearch {
  /** The embedding to compare with. */
  queryEmbedding: number[];
  /** Memories whose scope holds every one of these entries: at least one. */
  scope: Record<string, string>;
  /** Only memories of this topic. */
  topic?: string;
  /** At most this many results, 1-100; the server's default is 10. */
  limit?: number;
  /** Only memories with at least this confidence, 0-1. */
  minConfidence?: number;
  /**
   * Rank every candidate instead of asking the server's approximate index, for audits and for
   * comparing rankings; slower on large scopes. Defaults to false.
   */
  exact?: boolean;
}

/** The fields to change in a memory; those left out stay as they are. */
export interface MemoryChanges {
  fact?: string;
  /** "" clears the topic. */
  topic?: string;
  /** [] clears the embedding. */
  embedding?: number[];
  confidence?: number;
  importance?: number;
  /** Why, recorded with the revision when the fact changes. */
  changeReason?: string;
}

const memoryDefaults = { envPrefix: "MEMORY_SERVICE", baseUrl: "http://localhost:8002" };
const sourceTypes: Record<string, SourceType> = {
  extracted: SourceType.EXTRACTED,
  consolidated: SourceType.CONSOLIDATED,
  direct: SourceType.DIRECT,
};
const updatable = ["fact", "topic", "embedding", "confidence", "importance"] as const;

/**
 * Client of ContextIQ's Memory service, over gRPC or HTTP/JSON (the Connect protocol).
 *
 * ```ts
 * await using memory = new MemoryServiceClient(); // MEMORY_SERVICE_* env, then defaults
 * const fact = await memory.createMemory({ scope: { user_id: "123" }, fact: "User prefers Python" });
 * ```
 *
 * Every method fails with a ConnectError: its code says what went wrong (INVALID_ARGUMENT names the
 * field, NOT_FOUND for an unknown, deleted or expired memory, ...), and a ServiceUnavailableError
 * (Code.Unavailable) when the service could not be reached in the attempts allowed.
 * DEADLINE_EXCEEDED when the call's deadline passed; CANCELED when its signal did.
 */
export class MemoryServiceClient extends ServiceClient<typeof MemoryService> {
  constructor(options: ClientOptions = {}) {
    super(MemoryService, memoryDefaults, options);
  }

  /** Creates a memory. Retries are safe: the request carries one `request_id` for all attempts. */
  createMemory(memory: NewMemory, options?: CallOptions): Promise<Memory> {
    const requestId = memory.requestId ?? randomUUID();
    return this.run(() =>
      tagFailure(requestId, async () => {
        const { sourceType, ...fields } = memory;
        const request = { ...fields, sourceType: toSourceType(sourceType), requestId };
        const { memory: created } = await this.rpc.createMemory(
          request,
          this.connectOptions(options),
        );
        return required(created, "memory");
      }),
    );
  }

  /** Returns a memory, and counts the access. NOT_FOUND when unknown, deleted or expired. */
  getMemory(id: string, options?: CallOptions): Promise<Memory> {
    return this.run(async () => {
      const { memory } = await this.rpc.getMemory({ id }, this.connectOptions(options));
      return required(memory, "memory");
    });
  }

  /** Returns several memories in the order of `ids`; NOT_FOUND (naming the id) if any is gone. */
  batchGetMemories(ids: string[], options?: CallOptions): Promise<Memory[]> {
    return this.run(async () => {
      const { memories } = await this.rpc.batchGetMemories({ ids }, this.connectOptions(options));
      return memories;
    });
  }

  /** Every memory matching `filter`, newest first, all pages fetched. */
  listMemories(filter: MemoryFilter, options?: CallOptions): Promise<Memory[]> {
    return this.allItems((pageToken, page) => this.memoriesPage(filter, pageToken, page), options);
  }

  /** The memories matching `filter`, newest first, fetched a page at a time as you iterate. */
  iterateMemories(filter: MemoryFilter, options?: CallOptions): AsyncGenerator<Memory> {
    return eachItem((pageToken) => this.memoriesPage(filter, pageToken, options));
  }

  private memoriesPage(
    filter: MemoryFilter,
    pageToken: string,
    options: CallOptions | undefined,
  ): Promise<Page<Memory>> {
    return this.run(async () => {
      const page = await this.rpc.listMemories(
        { ...filter, pageToken },
        this.connectOptions(options),
      );
      return { items: page.memories, nextPageToken: page.nextPageToken };
    });
  }

  /** The memories most similar to `queryEmbedding` by cosine similarity, most similar first. */
  searchMemories(search: MemorySearch, options?: CallOptions): Promise<ScoredMemory[]> {
    return this.run(async () => {
      const { results } = await this.rpc.searchMemories(search, this.connectOptions(options));
      return results;
    });
  }

  /**
   * Changes the given fields of a memory; a changed fact records a revision. Repeating an update
   * changes nothing more, so retries are safe.
   */
  updateMemory(id: string, changes: MemoryChanges, options?: CallOptions): Promise<Memory> {
    const { changeReason = "", ...fields } = changes;
    const paths = updatable.filter((field) => fields[field] !== undefined);
    return this.run(async () => {
      const { memory } = await this.rpc.updateMemory(
        { memory: { ...fields, id }, updateMask: { paths }, changeReason },
        this.connectOptions(options),
      );
      return required(memory, "memory");
    });
  }

  /**
   * Soft-deletes a memory, with an optional `reason` kept as its `deletionReason`; deleting it
   * again keeps the first `deletedAt` and reason.
   */
  deleteMemory(id: string, options?: CallOptions & { reason?: string }): Promise<Memory> {
    return this.run(async () => {
      const { memory } = await this.rpc.deleteMemory(
        { id, reason: options?.reason ?? "" },
        this.connectOptions(options),
      );
      return required(memory, "memory");
    });
  }

  /** Every kept revision of a memory (the newest 50), newest first. */
  listMemoryRevisions(
    memoryId: string,
    options?: CallOptions & { pageSize?: number },
  ): Promise<MemoryRevision[]> {
    return this.allItems(
      (pageToken, pageOptions) =>
        this.run(async () => {
          const page = await this.rpc.listMemoryRevisions(
            { memoryId, pageSize: options?.pageSize ?? 0, pageToken },
            this.connectOptions(pageOptions),
          );
          return { items: page.revisions, nextPageToken: page.nextPageToken };
        }),
      options,
    );
  }

  /** One revision of a memory, by its number. */
  getMemoryRevision(
    memoryId: string,
    revisionNumber: number,
    options?: CallOptions,
  ): Promise<MemoryRevision> {
    return this.run(async () => {
      const { revision } = await this.rpc.getMemoryRevision(
        { memoryId, revisionNumber },
        this.connectOptions(options),
      );
      return required(revision, "revision");
    });
  }
}

function toSourceType(value: SourceTypeInput | undefined): SourceType {
  if (value === undefined) return SourceType.UNSPECIFIED;
  if (typeof value === "number") return value;
  const known = sourceTypes[value.toLowerCase()];
  if (known === undefined) {
    throw new ConnectError(
      `\`sourceType\` must be "extracted", "consolidated" or "direct", got "${value}"`,
      Code.InvalidArgument,
    );
  }
  return known;
}
