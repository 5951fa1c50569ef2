import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

// Embeddings at float32, the precision the contract's `float` carries and every store keeps. A
// write rounds them once, into a Float32Array: its bytes are what SQLite stores, what the request
// log and the fingerprint take, and the norm is computed from it. Typed arrays hold the platform's
// byte order: the stored bytes are little-endian, as on x64 and arm64.

/**
 * The values rounded to float32. A value below float32's range (1e-50, which JSON can carry)
 * becomes 0, as it would in any store: PostgreSQL's `real` would refuse it instead.
 */
export function float32Of(values: readonly number[]): Float32Array {
  // A loop: about 6 µs for 1,536 values whatever the array holds. The constructor takes 3 µs for
  // a plain array but 28 µs for one of boxed numbers, which is what protobuf-es decodes a request
  // into; Float32Array.from iterates, 26 µs.
  const floats = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) floats[i] = values[i] as number;
  return floats;
}

/** The values as a plain array, as messages hold them. */
export function numbersOf(values: Float32Array): number[] {
  // A loop: Array.from and spreading iterate the typed array, 15-20 times slower for 1,536 floats.
  const numbers = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) numbers[i] = values[i] as number;
  return numbers;
}

/** The bytes of `values`, without a copy. */
export function bytesOf(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** The float32 values of stored bytes: a view of them, or a copy when they are unaligned. */
export function floatsOf(bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

const floatListsBySchema = new WeakMap<DescMessage, readonly DescField[]>();

/** The `repeated float` fields of `schema` (embeddings), found once per schema. */
export function floatLists(schema: DescMessage): readonly DescField[] {
  let fields = floatListsBySchema.get(schema);
  if (fields === undefined) {
    fields = schema.fields.filter(
      (field) =>
        field.fieldKind === "list" &&
        field.listKind === "scalar" &&
        field.scalar === ScalarType.FLOAT,
    );
    floatListsBySchema.set(schema, fields);
  }
  return fields;
}
