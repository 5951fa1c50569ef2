import { mulberry32 } from "../../support/mulberry32.js";

/** Seeded draws for one fuzz input; the same seed and index always give the same input. */
export interface Random {
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max], drawn log-uniformly: small values often, large ones sometimes. */
  logInt(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(length: number): Uint8Array;
}

/**
 * The draws for input `index` of run `seed`: each input has a stream of its own, so a failure report
 * naming the seed and the index is enough to rebuild that one input.
 */
export function createRandom(seed: number, index: number): Random {
  const next = mulberry32(
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35),
  );
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    logInt: (min, max) => Math.min(max, Math.floor(min * (max / min) ** next())),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(items.length)] as T;
    },
    bytes: (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(256);
      return out;
    },
  };
}
