import { Code, ConnectError } from "@connectrpc/connect";
import type { EmbeddingService } from "./embedding-service.js";

/** Options of a {@link HashingEmbeddingService}. */
export interface HashingEmbeddingOptions {
  /**
   * The length of each vector, 1-4096. Defaults to 1536, the dimension of the original services'
   * embeddings.
   */
  readonly dimensions?: number | undefined;
}

// The one feature of a text without words ("", "  ", "?!"): its vector is the same for all such
// texts, but never all zeros, which CreateMemory would store and no search find, and which
// SearchMemories refuses as a query.
const noWords = "\u0000no words";
const utf8 = new TextEncoder();

/**
 * The default {@link EmbeddingService}: no model, no network, deterministic. A stand-in for a
 * real model: it finds texts that share words ("User lives in Lisbon" for "Lisbon"), not texts
 * that mean the same in other words ("User's home is Portugal's capital"). Plug a model in for
 * that (see {@link EmbeddingService}).
 *
 * Feature hashing: each word of the lower-cased text (a run of letters and digits, a possessive
 * "'s" dropped) and each pair of adjacent words counts once in one of `dimensions` buckets, chosen
 * by its 32-bit FNV-1a hash, with a sign from the same hash, so that features that collide cancel
 * out on average rather than add up; the vector is then scaled to length 1. Texts are thus as
 * similar (cosine) as the words and word pairs they share, weighted by how often they occur.
 */
export class HashingEmbeddingService implements EmbeddingService {
  /** What error messages call it. */
  readonly name: string = "HashingEmbeddingService";
  /** The length of each vector: 1536 unless the `dimensions` option says otherwise. */
  readonly dimensions: number;

  /** INVALID_ARGUMENT when `dimensions` is not a whole number from 1 to 4096. */
  constructor(options: HashingEmbeddingOptions = {}) {
    const { dimensions = 1536 } = options;
    if (!(Number.isInteger(dimensions) && dimensions >= 1 && dimensions <= 4096)) {
      throw new ConnectError(
        `option \`dimensions\` must be a whole number from 1 to 4096, got ${dimensions}`,
        Code.InvalidArgument,
      );
    }
    this.dimensions = dimensions;
  }

  /** One unit vector per text, in order. */
  embed(texts: readonly string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((text) => this.vectorOf(text)));
  }

  private vectorOf(text: string): number[] {
    const words = wordsOf(text);
    const pairs = words.slice(1).map((word, i) => `${words[i]} ${word}`);
    // 2n - 1 features of n words, an odd number of ±1s: they cannot all cancel out, and the
    // vector is never all zeros.
    const features = words.length === 0 ? [noWords] : [...words, ...pairs];
    const sums = new Float64Array(this.dimensions);
    for (const feature of features) {
      const hash = fnv1a(feature);
      const bucket = hash % this.dimensions;
      sums[bucket] = (sums[bucket] ?? 0) + (hash >>> 31 === 1 ? -1 : 1);
    }
    const length = Math.sqrt(sums.reduce((sum, value) => sum + value * value, 0));
    return Array.from(sums, (value) => value / length);
  }
}

/** The lower-cased words of `text`, in order: "User's name is Ada." → user, name, is, ada. */
function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]s\b/gu, "")
    .replace(/['’]/gu, "")
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((word) => word !== "");
}

/** The 32-bit FNV-1a hash of `text`'s UTF-8 bytes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}
