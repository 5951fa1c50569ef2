import { Code, ConnectError } from "@connectrpc/connect";
import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { MemoryServiceClient } from "../client/memory-client.js";
import { canonicalJson } from "../util/canonical-json.js";
import { callOptions, throwIfAborted } from "./cancellation.js";
import { consolidatedMemory, keptMember } from "./consolidated-memory.js";
import { checkEmbeddingService, embedTexts } from "./embed-texts.js";
import type { EmbeddingService } from "./embedding-service.js";
import { overlapGroups } from "./overlap-groups.js";
import type { ProgressListener } from "./types.js";

/** What a {@link ConsolidationWorker} works with. */
export interface ConsolidationOptions {
  /** Where the memories are read and written; the worker never closes it. */
  memory: MemoryServiceClient;
  /** Told of each step: "read-memories", "group", "consolidate". */
  onProgress?: ProgressListener | undefined;
  /** normalised-text similarity at or above which two facts overlap; defaults to 0.6 */
  threshold?: number | undefined;
  /**
   * Embeds the fact each consolidated memory keeps: pass the service its memories were embedded
   * with (the memory-generation worker's), so that what searches find them by is their fact.
   * Without one, a consolidated memory takes the mean of its members' embeddings, which stays in
   * whatever space they were embedded in. There is no default here, unlike in the
   * memory-generation worker: this one rewrites memories that anyone wrote, perhaps with a model
   * of the same dimension as the default's, and a vector of another space would mislead every
   * search.
   */
  embeddings?: EmbeddingService | undefined;
}

/** What one {@link ConsolidationWorker.consolidate} did. */
export interface ConsolidationResult {
  /** The scope consolidated, as given. */
  readonly scope: Record<string, string>;
  /** Live memories of the scope (and topic) read. */
  readonly memoriesRead: number;
  /** Groups of overlapping memories found. */
  readonly groups: number;
  /** The memories that replaced the groups, one per group consolidated. */
  readonly consolidated: Memory[];
  /** Originals soft-deleted, replaced by the consolidated memories. */
  readonly originalsDeleted: number;
}

// Embeddings this close say the same thing, whatever the wording.
const embeddingThreshold = 0.9;
// BatchGetMemories takes at most 100 ids.
const batchSize = 100;

/**
 * Merges memories that say the same thing: within a scope and a topic, facts that duplicate or
 * overlap (by their words, or by their embeddings) are replaced by one memory of source
 * CONSOLIDATED holding the most informative fact, and the originals are soft-deleted.
 *
 * ```ts
 * const result = await new ConsolidationWorker({ memory }).consolidate({ user_id: "123" });
 * ```
 */
export class ConsolidationWorker {
  private readonly memory: MemoryServiceClient;
  private readonly onProgress: ProgressListener | undefined;
  private readonly threshold: number;
  private readonly embeddings: EmbeddingService | undefined;

  /**
   * INVALID_ARGUMENT when `threshold` is not a number above 0 and at most 1, or the dimensions of
   * `embeddings` are not 1-4096.
   */
  constructor(options: ConsolidationOptions) {
    const { threshold = 0.6 } = options;
    if (!(threshold > 0 && threshold <= 1)) {
      throw new ConnectError(
        `option \`threshold\` must be a number above 0 and at most 1, got ${threshold}`,
        Code.InvalidArgument,
      );
    }
    if (options.embeddings) checkEmbeddingService(options.embeddings, "embeddings");
    this.memory = options.memory;
    this.onProgress = options.onProgress;
    this.threshold = threshold;
    this.embeddings = options.embeddings;
  }

  /**
   * For a scope, finds memories of one topic whose facts duplicate or overlap, writes one
   * CONSOLIDATED memory per group and soft-deletes the originals (deleteMemory). Idempotent.
   *
   * Memories are compared only with those of the same topic and exactly the same scope: the list
   * of `{ user_id: "1" }` also holds memories of `{ user_id: "1", agent_id: "a" }`, which are
   * about something else. The contract has no field for why a memory was deleted: the
   * consolidated memory's `sourceId` names the original whose fact it keeps, and the
   * "consolidate" progress events name every original replaced.
   *
   * A rerun finds each consolidated memory alone in its group and changes nothing. A run that
   * failed half-way leaves every fact stored (the consolidated memory is created before the
   * originals are deleted), and the next run finishes the job. A group that another run changed
   * since it was read (a member is gone) is left for the next run.
   */
  async consolidate(
    scope: Record<string, string>,
    options: { topic?: string | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<ConsolidationResult> {
    const { topic, signal } = options;
    const memories = await this.readMemories(scope, topic, signal);
    throwIfAborted(signal);

    const criteria = { textThreshold: this.threshold, embeddingThreshold };
    const groups = [...partitions(memories).values()].flatMap((p) => overlapGroups(p, criteria));
    this.report(
      "group",
      groups.length,
      groups.length,
      `${groups.length} groups of overlapping memories`,
    );

    const consolidated: Memory[] = [];
    let originalsDeleted = 0;
    for (const [i, group] of groups.entries()) {
      throwIfAborted(signal);
      const outcome = await this.consolidateGroup(group, signal);
      if (outcome === undefined) {
        this.report(
          "consolidate",
          i + 1,
          groups.length,
          "skipped a group changed since it was read",
        );
        continue;
      }
      consolidated.push(outcome.memory);
      originalsDeleted += outcome.deleted.length;
      this.report(
        "consolidate",
        i + 1,
        groups.length,
        `${outcome.memory.id} replaces ${outcome.deleted.join(", ")}: overlapping facts of topic "${outcome.memory.topic}"`,
      );
    }
    return {
      scope,
      memoriesRead: memories.length,
      groups: groups.length,
      consolidated,
      originalsDeleted,
    };
  }

  private async readMemories(
    scope: Record<string, string>,
    topic: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Memory[]> {
    const memories: Memory[] = [];
    this.report("read-memories", 0, undefined);
    const filter = topic === undefined ? { scope } : { scope, topic };
    for await (const memory of this.memory.iterateMemories(filter, callOptions(signal))) {
      memories.push(memory);
    }
    this.report(
      "read-memories",
      memories.length,
      memories.length,
      `${memories.length} memories read`,
    );
    return memories;
  }

  /**
   * Replaces one group: reads it again (every member must still be live, and its content is
   * current), creates the consolidated memory, then deletes the originals. Undefined when a member
   * is gone (another run is consolidating it) or has moved to another topic.
   */
  private async consolidateGroup(
    group: readonly Memory[],
    signal: AbortSignal | undefined,
  ): Promise<{ memory: Memory; deleted: string[] } | undefined> {
    const call = callOptions(signal);
    const current: Memory[] = [];
    try {
      for (let i = 0; i < group.length; i += batchSize) {
        const ids = group.slice(i, i + batchSize).map((m) => m.id);
        current.push(...(await this.memory.batchGetMemories(ids, call)));
      }
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
      throw error;
    }
    // A member moved to another topic since the list: the group is no longer one.
    if (partitions(current).size !== 1) return undefined;
    // One call per group: its fact is known only once the group has been read again.
    const embedding = this.embeddings
      ? (await embedTexts(this.embeddings, [keptMember(current).fact], signal))[0]
      : undefined;
    const memory = await this.memory.createMemory(consolidatedMemory(current, embedding), call);
    const deleted: string[] = [];
    for (const original of current) {
      throwIfAborted(signal);
      // Never the memory just created: that would lose the group's fact altogether.
      if (original.id === memory.id) continue;
      await this.memory.deleteMemory(original.id, {
        ...call,
        reason: `consolidated into ${memory.id}`,
      });
      deleted.push(original.id);
    }
    return { memory, deleted };
  }

  private report(stage: string, done: number, total: number | undefined, message?: string): void {
    this.onProgress?.({ stage, done, total, message });
  }
}

/** The memories by exact scope and topic: only memories of one partition can be merged. */
function partitions(memories: readonly Memory[]): Map<string, Memory[]> {
  const byKey = new Map<string, Memory[]>();
  for (const memory of memories) {
    const key = canonicalJson([memory.scope, memory.topic]);
    const partition = byKey.get(key);
    if (partition) partition.push(memory);
    else byKey.set(key, [memory]);
  }
  return byKey;
}
