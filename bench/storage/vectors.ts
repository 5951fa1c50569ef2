/**
 * Seeded embeddings with the neighbour structure of a model's, the same on every engine and every
 * run whatever order they are drawn in. Never Math.random.
 *
 * Why not uniform random vectors: in 1536 dimensions any two are nearly orthogonal (cosine 0 ±
 * 0.03), so every memory is about as far from a query as any other. No model embeds text like
 * that, an approximate index has no neighbourhoods to follow, and its recall means nothing.
 *
 * Here a vector is a sum of unit directions at several scales, normalised: one that every memory
 * shares (models' embeddings of unrelated texts still have a cosine well above 0), its topic's
 * (one of 20), its subtopic's (25 per topic), its thread's (20 per subtopic: near-paraphrases of
 * one fact) and its own noise. The weights are jittered per memory, so similarities spread over a
 * continuum rather than in steps: about 0.2 between topics, 0.45 within a topic, 0.6 within a
 * subtopic, 0.75 within a thread. A query is drawn the same way from its own stream: a new memory
 * of a random topic, never a copy of a stored one.
 */
import { mulberry32 } from "../../test/support/mulberry32.js";

/** The dimension of the original services' embeddings. */
export const dimensions = 1536;
/** Topics a memory belongs to: its `topic` field is the topic's name. */
export const topicCount = 20;
const subtopicsPerTopic = 25;
const threadsPerSubtopic = 20;

/** Streams of vectors that never overlap: memories, queries, the vectors creates send. */
export const streams = { memories: 1, queries: 2, creates: 3 } as const;
type Stream = (typeof streams)[keyof typeof streams];

/** Each scale's weight before normalising, and the noise's range: see the comment at the top. */
const weights = { common: 0.6, topic: 0.6, subtopic: 0.5, thread: 0.5 } as const;
const noise = { min: 0.45, max: 0.8 } as const;
/** Each scale's weight is multiplied by a draw in [1 - jitter, 1 + jitter]. */
const jitter = 0.25;

/** A drawn vector, and the topic it was drawn from (0 to topicCount - 1). */
export interface Embedding {
  readonly topic: number;
  readonly values: number[];
}

/** A seeded generator for `index` of `stream`: seeds spread by the golden ratio, so neighbours start far apart. */
function generator(stream: number, index: number): () => number {
  return mulberry32(Math.imul(index + 1, 0x9e3779b9) ^ Math.imul(stream, 0x85ebca6b));
}

/** `out` filled with standard normal draws (Box-Muller, both halves of each pair). */
function fillNormal(out: Float64Array, next: () => number): Float64Array {
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

function normalise(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * scale;
  return values;
}

/** The shared directions, drawn once each: the 10,000 threads' take 60 MB at most. */
const directions = new Map<number, Float32Array>();
/** A stream of its own per scale, so that no direction is any memory's noise. */
const directionStream = 100;

function direction(key: number): Float32Array {
  let found = directions.get(key);
  if (found === undefined) {
    const unit = normalise(
      fillNormal(new Float64Array(dimensions), generator(directionStream, key)),
    );
    found = Float32Array.from(unit);
    directions.set(key, found);
  }
  return found;
}

/** The `index`-th vector of `stream`, unit length, each value exactly a float32 (as both stores keep them). */
export function embedding(stream: Stream, index: number): Embedding {
  const next = generator(stream, index);
  const topic = Math.floor(next() * topicCount);
  const subtopic = topic * subtopicsPerTopic + Math.floor(next() * subtopicsPerTopic);
  const thread = subtopic * threadsPerSubtopic + Math.floor(next() * threadsPerSubtopic);
  const jittered = (weight: number) => weight * (1 - jitter + 2 * jitter * next());
  // Keys: 0 the common direction, then topics, subtopics and threads, each in a range of its own.
  const common = direction(0);
  const ofTopic = direction(1 + topic);
  const ofSubtopic = direction(1_000 + subtopic);
  const ofThread = direction(100_000 + thread);
  const [w0, w1, w2, w3] = [
    jittered(weights.common),
    jittered(weights.topic),
    jittered(weights.subtopic),
    jittered(weights.thread),
  ];
  const noiseWeight = noise.min + (noise.max - noise.min) * next();
  const values = normalise(fillNormal(new Float64Array(dimensions), next));
  for (let i = 0; i < dimensions; i++) {
    values[i] =
      noiseWeight * (values[i] as number) +
      w0 * (common[i] as number) +
      w1 * (ofTopic[i] as number) +
      w2 * (ofSubtopic[i] as number) +
      w3 * (ofThread[i] as number);
  }
  normalise(values);
  const rounded = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) rounded[i] = Math.fround(values[i] as number);
  return { topic, values: rounded };
}

/** `count` vectors of `stream`, from index 0. */
export function embeddings(stream: Stream, count: number): Embedding[] {
  return Array.from({ length: count }, (_, i) => embedding(stream, i));
}
