/**
 * The sign sketch of an embedding: one bit per value, set when the value is positive (value i is
 * bit i % 8 of byte i / 8). The Hamming distance of two sketches estimates the angle between the
 * embeddings, so a scan of 192-byte sketches finds the candidates of a search that the float32
 * embeddings (6 KiB each, at 1,536 values) then rank exactly: binary quantization, then a rerank.
 */
export function signSketch(values: Float32Array): Buffer {
  const sketch = Buffer.alloc(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) {
    if ((values[i] as number) > 0) sketch[i >> 3] = (sketch[i >> 3] as number) | (1 << (i & 7));
  }
  return sketch;
}
