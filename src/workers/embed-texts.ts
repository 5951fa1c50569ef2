import { Code, ConnectError } from "@connectrpc/connect";
import { throwIfAborted } from "./cancellation.js";
import type { EmbeddingService } from "./embedding-service.js";

// The most values the services take in an embedding.
const maxDimensions = 4096;

/**
 * INVALID_ARGUMENT, naming the option, when `service` promises vectors no memory could hold.
 *
 * @internal
 */
export function checkEmbeddingService(service: EmbeddingService, option: string): void {
  const { dimensions } = service;
  if (!(Number.isInteger(dimensions) && dimensions >= 1 && dimensions <= maxDimensions)) {
    throw new ConnectError(
      `option \`${option}\`: ${serviceName(service)} has \`dimensions\` ${dimensions}, expected a whole number from 1 to ${maxDimensions}`,
      Code.InvalidArgument,
    );
  }
}

/**
 * The vectors of `texts`, from one call to `service`, checked before anything is written with
 * them: one per text, each of the service's dimensions, finite and not all zero (a memory whose
 * embedding has no direction is stored but never found). Each value is rounded to float32, the
 * type of the field: the server sees float32 over gRPC and would see the doubles over JSON, and a
 * create must look the same over both, its request id covering its content.
 *
 * A service that fails keeps its error's code; one that answers wrongly is INTERNAL, naming the
 * service and what was wrong; an aborted `signal` is CANCELED.
 *
 * @internal
 */
export async function embedTexts(
  service: EmbeddingService,
  texts: readonly string[],
  signal: AbortSignal | undefined,
): Promise<number[][]> {
  if (texts.length === 0) return [];
  let vectors: unknown;
  try {
    vectors = await service.embed(texts, signal === undefined ? {} : { signal });
  } catch (error) {
    throwIfAborted(signal);
    const cause = ConnectError.from(error);
    throw new ConnectError(
      `${serviceName(service)} failed to embed ${count(texts.length, "text")}: ${cause.rawMessage}`,
      cause.code,
      undefined,
      undefined,
      error,
    );
  }
  throwIfAborted(signal);
  const wrong = (problem: string) =>
    new ConnectError(
      `${serviceName(service)} returned ${problem}; nothing was stored with it`,
      Code.Internal,
    );
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    const got = Array.isArray(vectors)
      ? count(vectors.length, "vector")
      : `no array (${typeof vectors})`;
    throw wrong(`${got} for ${count(texts.length, "text")}`);
  }
  return vectors.map((vector: unknown, i) => {
    if (!Array.isArray(vector) || vector.length !== service.dimensions) {
      const got = Array.isArray(vector)
        ? count(vector.length, "value")
        : `no array (${typeof vector})`;
      throw wrong(`${got} for text ${i + 1}, not its \`dimensions\` (${service.dimensions})`);
    }
    // Rounded first: a double beyond float32's range (1e39) is Infinity once it is a float32.
    const rounded = vector.map((value) => (typeof value === "number" ? Math.fround(value) : NaN));
    const bad = rounded.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      const value: unknown = vector[bad];
      const shown = typeof value === "number" ? String(value) : `a ${typeof value}`;
      throw wrong(`${shown} at value ${bad} of text ${i + 1}: not a finite float32`);
    }
    if (rounded.every((value) => value === 0)) {
      throw wrong(`all zeros for text ${i + 1}, a vector no search can find`);
    }
    return rounded;
  });
}

/** "the embedding service Name", for messages. */
function serviceName(service: EmbeddingService): string {
  const name =
    service.name ?? (service.constructor === Object ? undefined : service.constructor?.name);
  return name ? `the embedding service ${name}` : "the embedding service";
}

/** "1 text", "2 texts". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
