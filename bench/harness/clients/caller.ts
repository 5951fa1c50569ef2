/**
 * What a client variant provides to the measuring loop: one function per call, each resolving
 * when the call succeeded and rejecting otherwise, and a way to let its connections go.
 */
import type { Memory } from "../../../gen/contextiq/memory/v1/memory_pb.js";
import type { Event } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type CallName, embeddingDimensions, type Target } from "../workload.js";

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

/** Throws unless `event` is the created event: the checks every decoding variant makes. */
export function expectEvent(event: Pick<Event, "id"> | undefined): void {
  if (!event?.id) throw new Error("CreateEvent answered without an event id");
}

/** Throws unless `memory` is the memory asked for, with its whole embedding. */
export function expectMemory(memory: Pick<Memory, "embedding"> | undefined): void {
  const length = memory?.embedding.length;
  if (length !== embeddingDimensions) {
    throw new Error(`GetMemory answered with ${length ?? "no"} embedding values`);
  }
}
