/**
 * What a client variant provides to the measuring loop: one function per call, each resolving
 * when the call succeeded and rejecting otherwise, and a way to let its connections go.
 */
import type { Event } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import type { CallName, Target } from "../workload.js";
import { embeddingDimensions, pageMemoryCount, searchLimit } from "../workload-memories.js";

/** A client variant, connected to one server. */
export interface Caller extends Readonly<Record<CallName, () => Promise<void>>> {
  close(): Promise<void>;
}

/** Creates a variant's caller for a target; throws VariantUnavailableError when it cannot run. */
export type CallerFactory = (target: Target) => Promise<Caller>;

/** A variant that cannot run here, e.g. because the module it measures does not exist yet. */
export class VariantUnavailableError extends Error {
  override readonly name = "VariantUnavailableError";
}

/** What the checks read of a memory, in any variant's decoding: its embedding's length. */
type Embedded = { readonly embedding: { readonly length: number } } | null | undefined;

/** Throws unless `event` is the created event: the checks every decoding variant makes. */
export function expectEvent(event: Pick<Event, "id"> | null | undefined): void {
  if (!event?.id) throw new Error("CreateEvent answered without an event id");
}

/** Throws unless `memory` came with its whole embedding (GetMemory, CreateMemory). */
export function expectMemory(memory: Embedded): void {
  const length = memory?.embedding.length;
  if (length !== embeddingDimensions) {
    throw new Error(`a memory came with ${length ?? "no"} embedding values`);
  }
}

/** Throws unless ListMemories answered with the whole page, every memory whole. */
export function expectPage(memories: readonly Embedded[] | undefined): void {
  expectMemories(memories, pageMemoryCount, "ListMemories");
}

/** Throws unless SearchMemories answered with `searchLimit` results, every memory whole. */
export function expectResults(
  results: readonly { readonly memory?: Embedded }[] | undefined,
): void {
  expectMemories(
    results?.map((result) => result.memory),
    searchLimit,
    "SearchMemories",
  );
}

function expectMemories(memories: readonly Embedded[] | undefined, count: number, call: string) {
  if (memories?.length !== count) {
    throw new Error(`${call} answered with ${memories?.length ?? "no"} memories, not ${count}`);
  }
  for (const memory of memories) expectMemory(memory);
}
