/**
 * The searches asked of a dataset: each query embedding drawn like a new memory (vectors.ts,
 * stream "queries"), in the dataset's one scope or one scope of many, with or without a filter.
 */
import type { MemorySearch } from "../../src/index.js";
import { mulberry32 } from "../../test/support/mulberry32.js";
import { type Dataset, scopeOf, topicNames } from "./datasets.js";
import { embedding, streams, topicCount } from "./vectors.js";

/**
 * "none"; "query-topic": the query's own topic, as a caller filtering on what it asks about;
 * "other-topic": another one, whose memories are far from the query, the hard case for an index
 * walked from the query. Both with `minConfidence: filterConfidence`.
 */
export const queryFilters = ["none", "query-topic", "other-topic"] as const;
export type QueryFilter = (typeof queryFilters)[number];

/** Half the memories of the topic, which is a twentieth: 2.5 % of the dataset pass. */
export const filterConfidence = 0.5;
export const resultsPerPage = 10;

/** The `count` searches of `filter` on `dataset`: the same embeddings whatever the filter. */
export function searchRequests(
  dataset: Dataset,
  filter: QueryFilter,
  count: number,
): MemorySearch[] {
  // Which of the many scopes each query names: seeded, spread over them.
  const pickScope = mulberry32(dataset.scopes);
  return Array.from({ length: count }, (_, index) => {
    const query = embedding(streams.queries, index);
    const scope = scopeOf(dataset, Math.floor(pickScope() * dataset.scopes));
    const request: MemorySearch = {
      scope,
      queryEmbedding: query.values,
      limit: resultsPerPage,
    };
    if (filter === "none") return request;
    const topic =
      filter === "query-topic"
        ? query.topic
        : (query.topic + 1 + (index % (topicCount - 1))) % topicCount;
    return { ...request, topic: topicNames[topic] as string, minConfidence: filterConfidence };
  });
}
