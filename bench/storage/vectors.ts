/**
 * Seeded pseudo-random embeddings: the same memories and queries on every engine and every run,
 * whatever order they are generated in. Never Math.random.
 */
import { mulberry32 } from "../../test/support/mulberry32.js";

/** The dimension of the original services' embeddings. */
export const dimensions = 1536;

/** Streams of vectors that never overlap: memories, queries, the vectors creates send. */
export const streams = { memories: 1, queries: 2, creates: 3 } as const;
type Stream = (typeof streams)[keyof typeof streams];

/**
 * The `index`-th vector of `stream`: `dimensions` values uniform in [-1, 1), each exactly a
 * float32 (the precision both stores keep), so every engine ranks the very same numbers.
 */
export function vector(stream: Stream, index: number): number[] {
  // Seeds spread by the golden ratio, so that neighbouring indexes start far apart.
  const next = mulberry32(Math.imul(index + 1, 0x9e3779b9) ^ Math.imul(stream, 0x85ebca6b));
  return Array.from({ length: dimensions }, () => Math.fround(next() * 2 - 1));
}

/** `count` vectors of `stream`, from index 0. */
export function vectors(stream: Stream, count: number): number[][] {
  return Array.from({ length: count }, (_, i) => vector(stream, i));
}
