import { requireOptionalPeer } from "../../optional-peer.js";
import { floatsOf } from "../float32.js";
import { signSketch } from "../sign-sketch.js";
import type { Db } from "./database.js";

/**
 * Gives `db` the SQL functions the Memory store ranks with: sqlite-vec's (vec_distance_cosine,
 * vec_distance_hamming, vec_bit), which run in C over the stored float32 bytes, and
 * `contextiq_sign_sketch(embedding)`, the sketch this process writes (see sign-sketch.ts), for
 * migrations that fill it in for rows written before it existed.
 */
export function addVectorFunctions(db: Db): void {
  requireOptionalPeer<{ load(db: Db): void }>("sqlite-vec").load(db);
  db.function("contextiq_sign_sketch", { deterministic: true }, (embedding: unknown) =>
    embedding instanceof Uint8Array ? signSketch(floatsOf(embedding)) : null,
  );
}
