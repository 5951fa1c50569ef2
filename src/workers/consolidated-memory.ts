import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import type { NewMemory } from "../client/memory-client.js";
import { canonicalJson } from "../util/canonical-json.js";
import { deterministicUuid } from "./deterministic-id.js";
import { factWords } from "./text-similarity.js";

/**
 * The one memory that replaces a group of overlapping ones (all of one scope and topic): the fact
 * of {@link keptMember}, the highest confidence and importance, and `factEmbedding`, the embedding
 * of that fact, or without it the mean of the members' embeddings. Source CONSOLIDATED, with
 * `sourceId` the memory whose fact it keeps, the link back to the originals once they are deleted.
 *
 * Everything here depends only on the group's content, and the `requestId` on the sorted ids and
 * that content: consolidating the same group again, after a crash between the create and the
 * deletes, names the same create, which the server stores once. Were a member changed in between,
 * the content and so the request id differ, and the server does not refuse the create as
 * ALREADY_EXISTS.
 *
 * @internal
 */
export function consolidatedMemory(group: readonly Memory[], factEmbedding?: number[]): NewMemory {
  const members = [...group].sort((a, b) => compare(a.id, b.id));
  const kept = keptMember(members);
  const embedding = factEmbedding ?? meanEmbedding(members) ?? kept.embedding;
  const content: NewMemory = {
    scope: { ...kept.scope },
    fact: kept.fact,
    topic: kept.topic,
    confidence: Math.max(...members.map((m) => m.confidence)),
    importance: Math.max(...members.map((m) => m.importance)),
    sourceType: "consolidated",
    sourceId: kept.id,
    ...(embedding.length > 0 ? { embedding } : {}),
  };
  const ids = members.map((m) => m.id);
  return {
    ...content,
    requestId: deterministicUuid("consolidate", ...ids, canonicalJson(content)),
  };
}

/**
 * The member whose fact a group's consolidated memory keeps: the most informative (most meaningful
 * words, then the longest), the first by id of those alike.
 *
 * @internal
 */
export function keptMember(group: readonly Memory[]): Memory {
  const members = [...group].sort((a, b) => compare(a.id, b.id));
  const [first, ...rest] = members;
  if (first === undefined) throw new RangeError("a group has at least one member");
  return rest.reduce((best, m) => (moreInformative(m, best) ? m : best), first);
}

function moreInformative(a: Memory, b: Memory): boolean {
  const words = factWords(a.fact).size - factWords(b.fact).size;
  if (words !== 0) return words > 0;
  return a.fact.length > b.fact.length;
}

/**
 * The element-wise mean of the members' embeddings, when those that have one share a dimension.
 * Rounded to float32, the type of the field: over gRPC the server sees float32 values anyway, and
 * over JSON it would see the doubles, and the same consolidation must look the same to the server
 * over either transport.
 */
function meanEmbedding(members: readonly Memory[]): number[] | undefined {
  const embeddings = members.map((m) => m.embedding).filter((e) => e.length > 0);
  const [first] = embeddings;
  if (first === undefined || embeddings.some((e) => e.length !== first.length)) return undefined;
  return first.map((_, i) =>
    Math.fround(embeddings.reduce((sum, e) => sum + (e[i] ?? 0), 0) / embeddings.length),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
