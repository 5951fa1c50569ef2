// Words that say nothing about what a fact is about. Facts written by the extractor all start with
// "User", and the same fact may be said with or without "the" or "is": counting such words would
// make "User prefers dark mode" and "User prefers light mode" overlap, and keep "User prefers
// Python" and "The user prefers Python" apart.
const stopWords = new Set([
  "a",
  "an",
  "the",
  "user",
  "users",
  "is",
  "are",
  "am",
  "was",
  "be",
  "to",
  "of",
  "for",
  "in",
  "on",
  "at",
  "and",
  "or",
  "with",
]);

/**
 * The words of a fact that carry its meaning: lowercased, without punctuation, possessives or
 * stop words ("The user's favorite color is blue." → favorite, color, blue).
 *
 * @internal
 */
export function factWords(fact: string): Set<string> {
  const words = fact
    .toLowerCase()
    .replace(/['’]s\b/gu, "")
    .replace(/['’]/gu, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "" && !stopWords.has(word));
  return new Set(words);
}

/**
 * Jaccard similarity of two facts' words, 0-1: shared words over all words. Two facts with no
 * meaningful words at all are alike only when their normalised text is the same.
 *
 * @internal
 */
export function textSimilarity(a: string, b: string): number {
  const wordsA = factWords(a);
  const wordsB = factWords(b);
  if (wordsA.size === 0 || wordsB.size === 0) return normalise(a) === normalise(b) ? 1 : 0;
  let shared = 0;
  for (const word of wordsA) if (wordsB.has(word)) shared++;
  return shared / (wordsA.size + wordsB.size - shared);
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
