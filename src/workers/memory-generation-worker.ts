import { Code, ConnectError } from "@connectrpc/connect";
import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { Event } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import type { WatchEventsOptions } from "../client/event-watch.js";
import type { MemoryServiceClient } from "../client/memory-client.js";
import type { SessionsServiceClient } from "../client/sessions-client.js";
import { batches } from "./batches.js";
import { callOptions, throwIfAborted } from "./cancellation.js";
import { checkEmbeddingService } from "./embed-texts.js";
import type { EmbeddingService } from "./embedding-service.js";
import { FactMemories } from "./fact-memories.js";
import { HashingEmbeddingService } from "./hashing-embedding-service.js";
import { RuleBasedExtractor } from "./rule-based-extractor.js";
import type { ExtractionEngine, ProgressListener } from "./types.js";

/** What a {@link MemoryGenerationWorker} works with. */
export interface MemoryGenerationOptions {
  /** Where the events are read; the worker never closes it. */
  sessions: SessionsServiceClient;
  /** Where the memories are written; the worker never closes it. */
  memory: MemoryServiceClient;
  /** Finds the facts. Defaults to rules that match sentences such as "I prefer ..." and "my name is ...". */
  engine?: ExtractionEngine | undefined;
  /**
   * Embeds the facts, so that SearchMemories finds their memories: one call per batch, with all
   * its new facts. Defaults to a {@link HashingEmbeddingService}, which matches words, not
   * meanings; search with the same service as the memories were embedded with.
   */
  embeddings?: EmbeddingService | undefined;
  /**
   * Told of each step: "read-events", "extract", "create-memories"; in follow mode, "follow" (the
   * events read so far, and the facts and memories created in the message) after each batch.
   */
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
 * How follow mode gathers events into batches. Each batch costs a call to the engine (a model's
 * would be the expensive part) and, when it finds facts, a listing of the scope's memories per
 * topic: a burst of messages is best handled at once, which the one-shot run does for a whole
 * session. 200 ms of quiet ends a burst; a session that never goes quiet still has its events
 * handled within 2 s, and a backlog comes in batches of at most 500.
 */
const followBatching = { quietMs: 200, maxDelayMs: 2_000, maxSize: 500 } as const;

/**
 * Turns a session's conversation into long-term memories: reads its events, extracts facts with
 * the engine, embeds them, and stores each fact as a memory of source EXTRACTED, with `sourceId`
 * the session, the session's scope and the fact's embedding.
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
  private readonly embeddings: EmbeddingService;
  private readonly onProgress: ProgressListener | undefined;

  /** INVALID_ARGUMENT when the dimensions of `embeddings` are not 1-4096. */
  constructor(options: MemoryGenerationOptions) {
    if (options.embeddings) checkEmbeddingService(options.embeddings, "embeddings");
    this.sessions = options.sessions;
    this.memory = options.memory;
    this.engine = options.engine ?? new RuleBasedExtractor();
    this.embeddings = options.embeddings ?? new HashingEmbeddingService();
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
   * The facts of a batch are embedded before any is stored: when the embedding service fails, or
   * answers wrongly (INTERNAL: a wrong number of vectors, a wrong dimension, a value not finite),
   * none of them is. A failed run may have stored some of the facts; running it again stores the
   * rest.
   *
   * With `follow`, the worker watches the session instead (watchEvents) and handles its events as
   * they come, in batches (the burst that has come when the session goes quiet for 200 ms, at most
   * 2 s or 500 events), until the session ends or expires; it then returns what the one-shot run
   * returns for the same events, with an engine that reads each event on its own, as the default
   * one does (the engine is given each batch, not the whole conversation). It fails NOT_FOUND
   * when the session is deleted meanwhile, keeping the memories it created. A reconnection of the
   * watch repeats no event, and a memory's request id is the one-shot run's, so following a
   * session and running once over it store each fact once.
   */
  async generate(
    sessionId: string,
    options: {
      signal?: AbortSignal | undefined;
      /** Watch the session and handle its events as they come, until it ends. Defaults to false. */
      follow?: boolean | undefined;
      /** In follow mode, told of each reconnection of the watch: for logs. */
      onReconnect?: WatchEventsOptions["onReconnect"] | undefined;
    } = {},
  ): Promise<GenerationResult> {
    const { signal } = options;
    const session = await this.sessions.getSession(sessionId, {
      ...callOptions(signal),
      includeInactive: true,
    });
    if (Object.keys(session.scope).length === 0) {
      throw new ConnectError(
        `session ${session.id} has no scope: a memory needs one to say whom it is about`,
        Code.FailedPrecondition,
      );
    }
    const memories = new FactMemories(this.memory, this.embeddings, session);
    const eventsRead = options.follow
      ? await this.follow(session.id, memories, signal, options.onReconnect)
      : await this.once(session.id, memories, signal);
    return {
      sessionId: session.id,
      eventsRead,
      factsExtracted: memories.memories.length,
      memoriesCreated: memories.created,
      memories: memories.memories,
    };
  }

  /** Every event of the session at once; the number read. */
  private async once(
    sessionId: string,
    memories: FactMemories,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const events = await this.readEvents(sessionId, signal);
    throwIfAborted(signal);
    const facts = memories.fresh(await this.engine.extract(events));
    this.report("extract", facts.length, facts.length, `${facts.length} facts found`);
    throwIfAborted(signal);
    await memories.store(facts, signal, (done, total) =>
      this.report("create-memories", done, total),
    );
    return events.length;
  }

  /** The session's events batch by batch as they come, until it ends; the number read. */
  private async follow(
    sessionId: string,
    memories: FactMemories,
    signal: AbortSignal | undefined,
    onReconnect: WatchEventsOptions["onReconnect"] | undefined,
  ): Promise<number> {
    // Ends the watch when the worker stops early (a failed create, say): the read in flight
    // would otherwise keep the stream open until the next event.
    const stop = new AbortController();
    const watch = this.sessions.watchEvents(sessionId, {
      signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
      ...(onReconnect === undefined ? {} : { onReconnect }),
    });
    let eventsRead = 0;
    const report = () =>
      this.report(
        "follow",
        eventsRead,
        undefined,
        `events read, ${memories.memories.length} facts, ${memories.created} memories created`,
      );
    try {
      report();
      for await (const batch of batches(deletedAsNotFound(watch, sessionId), followBatching)) {
        eventsRead += batch.length;
        throwIfAborted(signal);
        await memories.store(memories.fresh(await this.engine.extract(batch)), signal);
        report();
      }
    } finally {
      stop.abort();
    }
    return eventsRead;
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

  private report(stage: string, done: number, total: number | undefined, message?: string): void {
    this.onProgress?.({ stage, done, total, message });
  }
}

/**
 * The watch's events, its NOT_FOUND said in the worker's terms: the session was there when the
 * worker started, so it was deleted since, and with it the events still to come.
 */
async function* deletedAsNotFound(
  watch: AsyncIterable<Event>,
  sessionId: string,
): AsyncGenerator<Event, void, undefined> {
  try {
    yield* watch;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) {
      throw new ConnectError(
        `session ${sessionId} was deleted while the worker followed it; the memories it created before stay`,
        Code.NotFound,
        undefined,
        undefined,
        error,
      );
    }
    throw error;
  }
}
