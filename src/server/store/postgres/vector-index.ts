import type pg from "pg";
import type { PostgresOptions, VectorIndexOptions } from "./connection.js";

// pgvector's HNSW index of the embeddings, which SearchMemories asks unless told to be exact. It
// indexes each live embedding of the indexed dimension by its sign bits (binary quantization,
// 192 bytes at 1,536 values) under Hamming distance, as the SQLite store's sketches: the index is
// a tenth of the size of a half-precision one, what it adds to an insert a fifth (bench/
// index-variants.ts), and the candidates it finds are ranked again on the float32 embeddings
// (ranking.ts), so recall is as high and the scores returned are exact. docs/search.md has the measurements behind the choice and defaults.

/** The index's name in the store's schema. */
export const vectorIndexName = "memories_embedding_hnsw";

/** The dimension indexed: the original services' embeddings. Other dimensions are ranked exactly. */
export const indexedDimensions = 1536;

/** The index's parameters, checked, with the defaults filled in. */
export interface VectorIndexSettings {
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
}

export const vectorIndexDefaults: VectorIndexSettings = { m: 8, efConstruction: 64, efSearch: 200 };

/** The range of each parameter (pgvector's). */
const ranges: Record<keyof VectorIndexSettings, readonly [number, number]> = {
  m: [2, 100],
  efConstruction: [4, 1000],
  efSearch: [1, 1000],
};

/**
 * What is wrong with `vectorIndex`, naming the parameter (`vectorIndex.m` is named `m`), or
 * undefined when nothing is.
 */
export function vectorIndexProblem(
  options: VectorIndexOptions,
): { parameter: keyof VectorIndexSettings; problem: string } | undefined {
  const settings = { ...vectorIndexDefaults, ...definedOf(options) };
  for (const parameter of ["m", "efConstruction", "efSearch"] as const) {
    const [min, max] = ranges[parameter];
    const value = settings[parameter];
    if (!Number.isInteger(value) || value < min || value > max) {
      return { parameter, problem: `must be a whole number from ${min} to ${max}, not ${value}` };
    }
  }
  if (settings.efConstruction < 2 * settings.m) {
    return {
      parameter: "efConstruction",
      problem: `must be at least twice m (${2 * settings.m}, with m ${settings.m}), not ${settings.efConstruction}`,
    };
  }
  return undefined;
}

/** `vectorIndex` checked (a RangeError names the option), or undefined when it is `false`. */
export function vectorIndexSettings(
  option: PostgresOptions["vectorIndex"],
): VectorIndexSettings | undefined {
  if (option === false) return undefined;
  const given: VectorIndexOptions = option ?? {};
  const wrong = vectorIndexProblem(given);
  if (wrong !== undefined) throw new RangeError(`vectorIndex.${wrong.parameter} ${wrong.problem}`);
  return { ...vectorIndexDefaults, ...definedOf(given) };
}

function definedOf(options: VectorIndexOptions): Partial<VectorIndexSettings> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * The indexed expression: the embedding's sign bits. Written the same way in the index and in the
 * queries, which the planner matches by their text.
 */
export function indexedExpression(vector: string, column: string): string {
  return `(${vector}.binary_quantize(${column}::${vector}.vector(${indexedDimensions}))::bit(${indexedDimensions}))`;
}

/** pgvector's operator for the indexed expression: Hamming distance. */
export const indexedDistance = (vector: string) => `OPERATOR(${vector}.<~>)`;

/** The condition that the index's predicate implies: queries must state it as it is written here. */
export const indexedRows = `m.dimensions = ${indexedDimensions} AND m.norm > 0 AND m.deleted_at IS NULL`;

/**
 * Builds the index unless it is there, once for all replicas (an advisory lock), CONCURRENTLY so
 * that writes go on meanwhile; an invalid index left by a build that failed is built again. The
 * build needs pgvector 0.8 (iterative scans); with an older one there is no index and searches are
 * exact. Returns whether the index is there.
 */
export async function ensureVectorIndex(
  client: pg.PoolClient,
  schema: string,
  vector: string,
  settings: VectorIndexSettings,
): Promise<boolean> {
  if (!(await hasIterativeScans(client))) {
    console.warn(
      "contextiq: pgvector is older than 0.8, which iterative index scans need: SearchMemories ranks every candidate (no HNSW index)",
    );
    return false;
  }
  const lock = `contextiq.vector_index.${schema}`;
  await takeLock(client, lock);
  try {
    const state = await indexState(client, schema);
    if (state === "valid") return true;
    if (state === "invalid")
      await client.query(`DROP INDEX CONCURRENTLY "${schema}".${vectorIndexName}`);
    // The graph is built in memory when it fits: far faster than once it spills.
    await client.query("SET maintenance_work_mem = '1GB'");
    await client.query(
      `CREATE INDEX CONCURRENTLY ${vectorIndexName} ON "${schema}".memories
         USING hnsw (${indexedExpression(vector, "embedding")} ${vector}.bit_hamming_ops)
         WITH (m = ${settings.m}, ef_construction = ${settings.efConstruction})
         WHERE ${indexedRows.replaceAll("m.", "")}`,
    );
    return true;
  } finally {
    await client.query("RESET maintenance_work_mem").catch(() => {});
    await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lock]);
  }
}

/**
 * Takes the advisory lock `name` for this session, trying again every 200 ms. Not waiting inside
 * pg_advisory_lock: that statement's snapshot would make the CREATE INDEX CONCURRENTLY of the
 * replica holding the lock wait for it, which waits for the lock: a deadlock.
 */
async function takeLock(client: pg.PoolClient, name: string): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
      [name],
    );
    if (rows[0]?.locked) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function hasIterativeScans(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ version: string }>(
    "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
  );
  const [major = 0, minor = 0] = (rows[0]?.version ?? "0").split(".").map(Number);
  return major > 0 || minor >= 8;
}

async function indexState(
  client: pg.PoolClient,
  schema: string,
): Promise<"valid" | "invalid" | "missing"> {
  const { rows } = await client.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, vectorIndexName],
  );
  const row = rows[0];
  return row === undefined ? "missing" : row.valid ? "valid" : "invalid";
}
