import { Code, ConnectError } from "@connectrpc/connect";
import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { MemoryServiceClient } from "../client/memory-client.js";
import { callOptions, throwIfAborted } from "./cancellation.js";
import { deterministicUuid } from "./deterministic-id.js";
import { embedTexts } from "./embed-texts.js";
import type { EmbeddingService } from "./embedding-service.js";
import type { ExtractedFact } from "./types.js";

/** The session whose facts are stored: memories take its id as `sourceId`, and its scope. */
export interface FactSource {
  readonly id: string;
  readonly scope: Record<string, string>;
}

/**
 * The memories of one session's facts, as one run of the memory-generation worker gathers them:
 * each distinct fact once however many times it is handed over (once for a one-shot run, batch by
 * batch in follow mode), its memory created with its embedding and a request id derived from the
 * session and the fact, or the one an earlier run stored.
 *
 * @internal
 */
export class FactMemories {
  /** The memory of each fact, in the order the facts first came. */
  readonly memories: Memory[] = [];
  /** How many of {@link memories} this run created. */
  created = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly memory: MemoryServiceClient,
    private readonly embeddings: EmbeddingService,
    private readonly source: FactSource,
  ) {}

  /**
   * The facts of `facts` this run has not had yet, trimmed, without blanks, each once (the first
   * of those that differ only in case): one fact gives one request id, which must not name two
   * creates. Marks them as had.
   */
  fresh(facts: readonly ExtractedFact[]): ExtractedFact[] {
    const fresh: ExtractedFact[] = [];
    for (const fact of facts) {
      const text = fact.fact.trim();
      const key = text.toLowerCase();
      if (text === "" || this.seen.has(key)) continue;
      this.seen.add(key);
      fresh.push({ ...fact, fact: text });
    }
    return fresh;
  }

  /**
   * Stores `facts` (from {@link fresh}) as EXTRACTED memories, skipping those already stored;
   * `onStored` is told after each one. The new facts are embedded first, in one call: when that
   * fails, none is stored, rather than stored where no search finds it. Checks `signal` before
   * each create, so that a cancel that comes between calls stops the work as a cancelled call
   * would.
   */
  async store(
    facts: readonly ExtractedFact[],
    signal: AbortSignal | undefined,
    onStored?: (done: number, total: number) => void,
  ): Promise<void> {
    if (facts.length === 0) return;
    const stored = await this.storedFacts(facts, signal);
    const missing = facts.filter((fact) => !stored.has(fact.fact));
    const vectors = await embedTexts(
      this.embeddings,
      missing.map((fact) => fact.fact),
      signal,
    );
    const embeddings = new Map(missing.map((fact, i) => [fact.fact, vectors[i] ?? []]));
    for (const [index, fact] of facts.entries()) {
      throwIfAborted(signal);
      const memory = stored.get(fact.fact) ?? (await this.create(fact, embeddings, signal));
      this.memories.push(memory);
      onStored?.(index + 1, facts.length);
    }
  }

  /**
   * Creates the memory of `fact`. ALREADY_EXISTS means that another run created it meanwhile,
   * with other content under the same request id: an embedding service that is not quite
   * deterministic gives each run its own vector. That run's memory is this fact's.
   */
  private async create(
    fact: ExtractedFact,
    embeddings: ReadonlyMap<string, number[]>,
    signal: AbortSignal | undefined,
  ): Promise<Memory> {
    try {
      const memory = await this.memory.createMemory(
        {
          scope: this.source.scope,
          fact: fact.fact,
          topic: fact.topic,
          confidence: fact.confidence,
          sourceType: "extracted",
          sourceId: this.source.id,
          embedding: embeddings.get(fact.fact) ?? [],
          // The same fact of the same session is the same create: a rerun, a retry of a failed
          // run, or a follow run and a one-shot run of the same session get the stored memory
          // back instead of a second one.
          requestId: deterministicUuid(this.source.id, fact.fact),
        },
        callOptions(signal),
      );
      this.created++;
      return memory;
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.AlreadyExists)) throw error;
      const theirs = (await this.storedFacts([fact], signal)).get(fact.fact);
      if (theirs === undefined) throw error;
      return theirs;
    }
  }

  /**
   * The memories already stored for these facts of this session, by fact. The request ids alone
   * would make a rerun exact, but the server keeps them for 24 hours only; this makes a later
   * rerun skip the facts too. Deleted memories count: a fact that consolidation has replaced since
   * must not come back.
   */
  private async storedFacts(
    facts: readonly ExtractedFact[],
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Memory>> {
    const { id, scope } = this.source;
    const stored = new Map<string, Memory>();
    const wanted = new Set(facts.map((f) => f.fact));
    // The list filters by scope and topic only; the session is matched here.
    for (const topic of new Set(facts.map((f) => f.topic))) {
      const memories = this.memory.iterateMemories(
        { scope, topic, includeDeleted: true },
        callOptions(signal),
      );
      for await (const memory of memories) {
        if (memory.sourceId !== id || memory.topic !== topic || !wanted.has(memory.fact)) {
          continue;
        }
        // A live memory of the fact wins over a deleted one.
        const seen = stored.get(memory.fact);
        if (
          seen === undefined ||
          (seen.deletedAt !== undefined && memory.deletedAt === undefined)
        ) {
          stored.set(memory.fact, memory);
        }
      }
    }
    return stored;
  }
}
