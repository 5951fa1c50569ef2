import type { Event } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { extractionRules } from "./extraction-rules.js";
import type { ExtractedFact, ExtractionEngine } from "./types.js";

// Sentences end at ., ! or ? followed by a space, or at a line break; "example.com" stays whole.
const sentenceBreak = /(?<=[.!?])\s+|[\r\n]+/u;
// A new statement inside a sentence starts where a comma or a conjunction is followed by "I" or
// "my": "I like tea and I work at Acme" is two, "I like tea and coffee" is one.
const clauseBreak =
  /\s*[,;:]\s*(?:(?:and|but|so)\s+)?(?=(?:i|i['’]m|my)\b)|\s+(?:and|but|so)\s+(?=(?:i|i['’]m|my)\b)/iu;
// Words before a statement that are not part of it: "Hi! Well, I prefer tea".
const leadingFiller =
  /^(?:(?:(?:hi|hello|hey)(?:\s+there)?|well|also|oh|okay|ok|so|and|but|actually|btw|anyway|yes|yeah|no|by\s+the\s+way|fyi)\b[\s,!.:;-]*)+/iu;
// Words after a statement that are not part of it: "I live in Lisbon, by the way".
const trailingFiller = /(?:[\s,]+(?:by\s+the\s+way|btw|too|as\s+well|though|anyway))+$/iu;
const trailingPunctuation = /[\s.!,;:…]+$/u;

/**
 * Deterministic rules, no network, no model: stated preferences, names and facts in message events.
 *
 * Reads the `content` of "message" events said by the user (`data.role` "user", or no role), a
 * sentence and a clause at a time, and knows these statements (case-insensitive, with an optional
 * adverb such as "really"):
 *
 * - preferences: "I prefer X", "I like X", "I love X", "I enjoy X" ("User prefers X", ...);
 *   "my favorite X is Y" ("User's favorite X is Y"); "I dislike X", "I hate X", "I don't like X"
 *   ("User dislikes X"); "I'm a (big) fan of X" ("User is a fan of X");
 * - identity: "my name is X", "call me X", "I'm called X", "I go by X" ("User's name is X");
 * - facts: "I work at/for/as X" ("User works at X"), "I live in X", "I'm based in X" ("User lives
 *   in X"), "I'm from X" ("User is from X"), "I am a X" / "I'm a X" ("User is a X").
 *
 * Questions are skipped, and so are things that state nothing ("I like it"), moods ("I'm a bit
 * tired") and words that are not names ("call me back"). Confidence is 0.9 for these explicit
 * statements, 0.8 for "I'm a X", which is not always a role. A fact stated twice is returned once.
 */
export class RuleBasedExtractor implements ExtractionEngine {
  /** The facts stated in `events`, in the order they were stated. */
  extract(events: readonly Event[]): ExtractedFact[] {
    const facts = new Map<string, ExtractedFact>();
    for (const event of events) {
      const content = userMessage(event);
      if (content === undefined) continue;
      for (const fact of factsIn(content)) {
        const key = fact.fact.toLowerCase();
        if (!facts.has(key)) facts.set(key, fact);
      }
    }
    return [...facts.values()];
  }
}

/** The content of a message the user said; undefined for anything else. */
function userMessage(event: Event): string | undefined {
  if (event.eventType !== "message") return undefined;
  const content = event.data?.["content"];
  const role = event.data?.["role"];
  if (typeof content !== "string") return undefined;
  // Only the user's own statements: an assistant saying "I prefer ..." is not a fact about the
  // user. Events written without a role are taken to be the user's.
  if (
    role !== undefined &&
    role !== null &&
    (typeof role !== "string" || role.toLowerCase() !== "user")
  ) {
    return undefined;
  }
  return content;
}

function* factsIn(content: string): Generator<ExtractedFact> {
  for (const sentence of content.split(sentenceBreak)) {
    if (sentence.trim().endsWith("?")) continue;
    for (const part of sentence.split(clauseBreak)) {
      const clause = part
        .replace(leadingFiller, "")
        .replace(trailingPunctuation, "")
        .replace(trailingFiller, "")
        .replace(trailingPunctuation, "");
      const fact = factOf(clause);
      if (fact) yield fact;
    }
  }
}

function factOf(clause: string): ExtractedFact | undefined {
  for (const { pattern, topic, confidence, fact } of extractionRules) {
    const match = pattern.exec(clause);
    if (!match) continue;
    const text = fact(match);
    // The first rule that matches decides: a clause states one thing.
    return text ? { fact: text, topic, confidence } : undefined;
  }
  return undefined;
}
