/** A statement the rule-based extractor recognises in a clause, and the fact it states. @internal */
export interface ExtractionRule {
  readonly topic: string;
  readonly confidence: number;
  /** Matched against a whole clause, without leading filler words or trailing punctuation. */
  readonly pattern: RegExp;
  /** The fact from a match; undefined when the match turns out not to state a fact. */
  readonly fact: (match: RegExpExecArray) => string | undefined;
}

// Adverbs a statement may carry without changing what it states: "I really like tea".
const adverb = String.raw`(?:(?:really|also|actually|definitely|generally|usually|currently|still|absolutely|mostly|totally|just|now|do)\s+)?`;
// "I am", "I'm", "Im".
const iAm = String.raw`(?:i\s+am|i['’]?m)`;

// What is liked must be something: "I like it" or "I love you" state nothing worth keeping.
const pronoun = /^(?:it|that|this|these|those|them|you|him|her|one|so)\b/iu;
// "I'm a bit tired" is a mood, not a role.
const notARole = /^(?:bit|little|lot|tad|few|couple|fan)\b/iu;
// A name is one to four words of letters: "Ada", "Mary-Jane O'Neil".
const namePattern = /^\p{L}[\p{L}'’.-]*(?:\s+\p{L}[\p{L}'’.-]*){0,3}$/u;
const notANames = /^(?:not|none|unknown|secret|irrelevant)$/iu;

const thirdPerson: Record<string, string> = {
  prefer: "prefers",
  like: "likes",
  love: "loves",
  enjoy: "enjoys",
};

/** A thing liked or done, as stated: undefined when it is missing, a pronoun or too long. */
function object(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed || trimmed.length > 200 || pronoun.test(trimmed)) return undefined;
  return trimmed;
}

function name(text: string | undefined, capitalised: boolean): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed || !namePattern.test(trimmed)) return undefined;
  if (notANames.test(trimmed.split(/\s+/u)[0] ?? "")) return undefined;
  // "call me back", "I go by bus": only a capitalised word is taken for a name there.
  if (capitalised && !/^\p{Lu}/u.test(trimmed)) return undefined;
  return trimmed;
}

function rule(
  topic: string,
  confidence: number,
  pattern: string,
  fact: ExtractionRule["fact"],
): ExtractionRule {
  return { topic, confidence, pattern: new RegExp(`^${pattern}$`, "iu"), fact };
}

/**
 * The statements the rule-based extractor knows, in the order they are tried: the first that
 * matches a clause gives its fact. Preferences are "preferences", names "identity", and where the
 * user works, lives or comes from and what they are "facts".
 *
 * @internal
 */
export const extractionRules: readonly ExtractionRule[] = [
  rule(
    "preferences",
    0.9,
    String.raw`my\s+(?:absolute\s+)?favou?rite\s+(.+?)\s+(is|are)\s+(.+)`,
    (m) => {
      const what = object(m[1]);
      const value = object(m[3]);
      return what && value ? `User's favorite ${what} ${m[2]?.toLowerCase()} ${value}` : undefined;
    },
  ),
  rule(
    "preferences",
    0.9,
    String.raw`i\s+${adverb}(?:dislike|hate|(?:don['’]?t|do\s+not)\s+like|can['’]?t\s+stand)\s+(.+)`,
    (m) => {
      const what = object(m[1]);
      return what && `User dislikes ${what}`;
    },
  ),
  rule("preferences", 0.9, String.raw`i\s+${adverb}(prefer|like|love|enjoy)\s+(.+)`, (m) => {
    const what = object(m[2]);
    const verb = thirdPerson[m[1]?.toLowerCase() ?? ""];
    return what && verb && `User ${verb} ${what}`;
  }),
  rule(
    "preferences",
    0.9,
    String.raw`${iAm}\s+(?:a\s+)?(?:big\s+|huge\s+)?fan\s+of\s+(.+)`,
    (m) => {
      const what = object(m[1]);
      return what && `User is a fan of ${what}`;
    },
  ),
  rule("identity", 0.9, String.raw`my\s+name(?:\s+is|['’]s)\s+(.+)`, (m) => {
    const who = name(m[1], false);
    return who && `User's name is ${who}`;
  }),
  rule(
    "identity",
    0.9,
    String.raw`(?:(?:please\s+)?call\s+me|${iAm}\s+called|i\s+go\s+by)\s+(.+)`,
    (m) => {
      const who = name(m[1], true);
      return who && `User's name is ${who}`;
    },
  ),
  rule(
    "facts",
    0.9,
    String.raw`(?:i\s+${adverb}work|${iAm}\s+${adverb}working)\s+(at|for|as)\s+(.+)`,
    (m) => {
      const where = object(m[2]);
      return where && `User works ${m[1]?.toLowerCase()} ${where}`;
    },
  ),
  rule(
    "facts",
    0.9,
    String.raw`(?:i\s+${adverb}live|${iAm}\s+${adverb}living|${iAm}\s+based)\s+in\s+(.+)`,
    (m) => {
      const where = object(m[1]);
      return where && `User lives in ${where}`;
    },
  ),
  rule("facts", 0.9, String.raw`${iAm}\s+${adverb}(?:originally\s+)?from\s+(.+)`, (m) => {
    const where = object(m[1]);
    return where && `User is from ${where}`;
  }),
  // Last and less sure: "I'm a ..." is often a role, but not always.
  rule("facts", 0.8, String.raw`${iAm}\s+${adverb}(a|an)\s+(.+)`, (m) => {
    const what = object(m[2]);
    if (!what || notARole.test(what) || what.split(/\s+/u).length > 8) return undefined;
    return `User is ${m[1]?.toLowerCase()} ${what}`;
  }),
];
