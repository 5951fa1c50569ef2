/**
 * The values as float32, the precision embeddings are stored at. Rounded here, before PostgreSQL
 * sees them: a value below float32's range (1e-50, which JSON can carry) would fail its `real`
 * instead of becoming 0 as it does on SQLite.
 */
export function asFloat32(values: readonly number[]): number[] {
  return Array.from(Float32Array.from(values));
}
