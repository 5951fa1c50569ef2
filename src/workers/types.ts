import type { Event } from "../../gen/contextiq/sessions/v1/sessions_pb.js";

/** A fact found in a conversation, before it becomes a memory. */
export interface ExtractedFact {
  /** The fact, in a sentence: "User prefers Python". */
  readonly fact: string;
  /** What it is about, e.g. "preferences", "identity", "facts". */
  readonly topic: string;
  /** How sure the engine is, 0-1. */
  readonly confidence: number;
}

/** Finds facts in a session's events. Pluggable: the default needs no network and no model. */
export interface ExtractionEngine {
  extract(events: readonly Event[]): ExtractedFact[] | Promise<ExtractedFact[]>;
}

/** What a worker reports as it goes. */
export interface ProgressEvent {
  /** E.g. "read-events", "extract", "create-memories", "consolidate". */
  readonly stage: string;
  readonly done: number;
  /** Undefined while the total is not known. */
  readonly total?: number | undefined;
  readonly message?: string | undefined;
}

/** Called with each ProgressEvent. */
export type ProgressListener = (event: ProgressEvent) => void;
