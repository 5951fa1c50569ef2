import { Code, ConnectError } from "@connectrpc/connect";
import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { Event } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import type { MemoryServiceClient } from "../client/memory-client.js";
import type { SessionsServiceClient } from "../client/sessions-client.js";
import { callOptions, throwIfAborted } from "./cancellation.js";
import { deterministicUuid } from "./deterministic-id.js";
import { RuleBasedExtractor } from "./rule-based-extractor.js";
import type { ExtractedFact, ExtractionEngine, ProgressListener } from "./types.js";

/** What a {@link MemoryGenerationWorker} works with. */
export interface MemoryGenerationOptions {
  /** Where the events are read; the worker never closes it. */
  sessions: SessionsServiceClient;
  /** Where the memories are written; the worker never closes it. */
  memory: MemoryServiceClient;
  /** Finds the facts. Defaults to rules that match sentences such as "I prefer ..." and "my name is ...". */
  engine?: ExtractionEngine | undefined;
  /** Told of each step: "read-events", "extract", "create-memories". */
  onProgress?: ProgressListener | undefined;
}

/** What one {@link MemoryGenerationWorker.generate} did. */
export interface GenerationResult {
  /** The session, as the server spells its id. */
  readonly sessionId: string;
  /** Events of the session read, of every type. */
  readonly eventsRead: number;
  /** Distinct facts the engine found. */
  readonly factsExtracted: number;
  /**
   * Memories this run created; 0 when an earlier run already stored every fact. A run racing
   * another on the same session may count a memory the other stored too (its create was a replay).
   */
  readonly memoriesCreated: number;
  /**
   * The memory of each fact, in the engine's order: created now or by an earlier run. One that was
   * deleted since (consolidation replaces the originals) is returned as stored, with `deletedAt`.
   */
  readonly memories: Memory[];
}

// Events read between two "read-events" reports.
const progressEvery = 100;

/**
 * Turns a session's conversation into long-term memories: reads its events, extracts facts with
 * the engine, and stores each fact as a memory of source EXTRACTED, with `sourceId` the session
 * and the session's scope.
 *
 * ```ts
 * const worker = new MemoryGenerationWorker({ sessions, memory });
 * const { memories } = await worker.generate(session.id);
 * ```
 */
export class MemoryGenerationWorker {
  private readonly sessions: SessionsServiceClient;
  private readonly memory: MemoryServiceClient;
  private readonly engine: ExtractionEngine;
  private readonly onProgress: ProgressListener | undefined;

  constructor(options: MemoryGenerationOptions) {
    this.sessions = options.sessions;
    this.memory = options.memory;
    this.engine = options.engine ?? new RuleBasedExtractor();
    this.onProgress = options.onProgress;
  }

  /**
   * Reads the session's events (iterateEvents), extracts facts, creates memories (source
   * EXTRACTED, source_id = session id, scope = the session's scope). Idempotent: re-running
   * creates no duplicates.
   *
   * Ended and expired sessions are read too: generation usually runs after a conversation ends.
   * Fails with the clients' errors (NOT_FOUND for an unknown session, CANCELED when `signal` is
   * aborted, ...), and FAILED_PRECONDITION when the session has no scope, which a memory needs.
   * A failed run may have stored some of the facts; running it again stores the rest.
   */
  async generate(
    sessionId: string,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<GenerationResult> {
    const { signal } = options;
    const call = callOptions(signal);
    const session = await this.sessions.getSession(sessionId, { ...call, includeInactive: true });
    if (Object.keys(session.scope).length === 0) {
      throw new ConnectError(
        `session ${session.id} has no scope: a memory needs one to say whom it is about`,
        Code.FailedPrecondition,
      );
    }

    const events = await this.readEvents(session.id, signal);
    throwIfAborted(signal);
    const facts = distinct(await this.engine.extract(events));
    this.report("extract", facts.length, facts.length, `${facts.length} facts found`);

    throwIfAborted(signal);
    const stored = await this.storedFacts(session.id, session.scope, facts, signal);
    const memories: Memory[] = [];
    let created = 0;
    for (const fact of facts) {
      throwIfAborted(signal);
      let memory = stored.get(fact.fact);
      if (memory === undefined) {
        memory = await this.memory.createMemory(
          {
            scope: session.scope,
            fact: fact.fact,
            topic: fact.topic,
            confidence: fact.confidence,
            sourceType: "extracted",
            sourceId: session.id,
            // The same fact of the same session is the same create: a rerun, or a retry of a
            // failed run, gets the stored memory back instead of a second one.
            requestId: deterministicUuid(session.id, fact.fact),
          },
          call,
        );
        created++;
      }
      memories.push(memory);
      this.report("create-memories", memories.length, facts.length);
    }
    return {
      sessionId: session.id,
      eventsRead: events.length,
      factsExtracted: facts.length,
      memoriesCreated: created,
      memories,
    };
  }

  private async readEvents(sessionId: string, signal: AbortSignal | undefined): Promise<Event[]> {
    const events: Event[] = [];
    this.report("read-events", 0, undefined);
    for await (const event of this.sessions.iterateEvents(sessionId, {}, callOptions(signal))) {
      events.push(event);
      if (events.length % progressEvery === 0) this.report("read-events", events.length, undefined);
    }
    this.report("read-events", events.length, events.length, `${events.length} events read`);
    return events;
  }

  /**
   * The memories already stored for these facts of this session, by fact. The request ids alone
   * would make a rerun exact, but the server keeps them for 24 hours only; this makes a later
   * rerun skip the facts too. Deleted memories count: a fact that consolidation has replaced since
   * must not come back.
   */
  private async storedFacts(
    sessionId: string,
    scope: Record<string, string>,
    facts: readonly ExtractedFact[],
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Memory>> {
    const stored = new Map<string, Memory>();
    const wanted = new Set(facts.map((f) => f.fact));
    // The list filters by scope and topic only; the session is matched here.
    for (const topic of new Set(facts.map((f) => f.topic))) {
      const memories = this.memory.iterateMemories(
        { scope, topic, includeDeleted: true },
        callOptions(signal),
      );
      for await (const memory of memories) {
        if (memory.sourceId !== sessionId || memory.topic !== topic || !wanted.has(memory.fact)) {
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

  private report(stage: string, done: number, total: number | undefined, message?: string): void {
    this.onProgress?.({ stage, done, total, message });
  }
}

/**
 * The engine's facts, trimmed, without blanks, each once (the first of those that differ only in
 * case): one fact gives one request id, which must not name two creates.
 */
function distinct(facts: readonly ExtractedFact[]): ExtractedFact[] {
  const seen = new Map<string, ExtractedFact>();
  for (const fact of facts) {
    const text = fact.fact.trim();
    const key = text.toLowerCase();
    if (text !== "" && !seen.has(key)) seen.set(key, { ...fact, fact: text });
  }
  return [...seen.values()];
}
