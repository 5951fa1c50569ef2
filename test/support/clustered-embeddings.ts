// Embeddings with neighbour structure, as a model's are: topics (random unit centroids), each
// memory its topic plus noise. Uniform random vectors in 1,536 dimensions are all nearly
// orthogonal, with no neighbours to find, which makes a recall figure meaningless.

/** A draw of `dimensions`-value embeddings around `topics` centroids, from `random`. */
export function clusteredEmbeddings(random: () => number, dimensions: number, topics: number) {
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centroids = Array.from({ length: topics }, () =>
    Array.from({ length: dimensions }, gaussian),
  );
  return {
    /** An embedding of topic `topic` (or a random one), each value a float32. */
    next(topic = Math.floor(random() * topics)): number[] {
      const centroid = centroids[topic] as number[];
      return centroid.map((value) => Math.fround(value + gaussian()));
    },
  };
}
