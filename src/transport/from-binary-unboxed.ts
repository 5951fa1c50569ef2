import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type NumberListPlan, numberListPlan } from "./number-list-plan.js";
import { unboxNumberLists } from "./unboxed-number-lists.js";

/** Nesting of planned messages followed before handing the rest to protobuf-es as it is. */
const maxDepth = 32;

/**
 * `fromBinary`, but packed float and double lists (embeddings) are read straight into arrays of
 * unboxed doubles, so decoding a page of memories allocates one array per embedding instead of one
 * heap object per number (see unboxed-number-lists.ts). Every other field is decoded by protobuf-es
 * from the bytes that remain, so the result equals `fromBinary(schema, bytes)`.
 */
export function fromBinaryUnboxed<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): MessageShape<Desc> {
  const plan = numberListPlan(schema);
  if (!plan) return fromBinary(schema, bytes);
  return decode(schema, plan, bytes, 0) as MessageShape<Desc>;
}

type Fields = Record<string, unknown>;

function decode(schema: DescMessage, plan: NumberListPlan, bytes: Uint8Array, depth: number) {
  if (depth > maxDepth) return generic(schema, bytes);
  const reader = new BinaryReader(bytes);
  const taken = new Map<string, unknown>();
  // The bytes of every field not taken here, in order, for protobuf-es.
  const rest: Uint8Array[] = [];
  let restStart = 0;
  while (reader.pos < reader.len) {
    const tagStart = reader.pos;
    const [number, wireType] = reader.tag();
    const field = plan.byNumber.get(number);
    if (field === undefined || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, number);
      continue;
    }
    const length = reader.uint32();
    const start = reader.pos;
    const end = start + length;
    if (end > reader.len) throw new RangeError(`premature EOF in field ${number}`);
    reader.pos = end;
    if (tagStart > restStart) rest.push(bytes.subarray(restStart, tagStart));
    restStart = end;
    if (field.kind === "numbers") {
      const numbers = taken.get(field.name) as number[] | undefined;
      taken.set(field.name, readPacked(bytes, start, end, field.float, numbers));
      continue;
    }
    const child = decode(field.schema, field.plan, bytes.subarray(start, end), depth + 1);
    if (!field.list) {
      // A singular message sent twice is merged: rare enough to leave to protobuf-es.
      if (taken.has(field.name)) return generic(schema, bytes);
      taken.set(field.name, child);
      continue;
    }
    const list = taken.get(field.name) as object[] | undefined;
    if (list) list.push(child);
    else taken.set(field.name, [child]);
  }
  if (restStart < bytes.length) rest.push(bytes.subarray(restStart));
  const message = fromBinary(schema, concat(rest)) as Fields;
  for (const [name, value] of taken) {
    // protobuf-es found more of the field in a form not taken here (unpacked numbers).
    if (isSet(message[name])) return generic(schema, bytes);
    message[name] = value;
  }
  return message;
}

/** Appends the little-endian floats or doubles of bytes[start, end) to `numbers`. */
function readPacked(
  bytes: Uint8Array,
  start: number,
  end: number,
  float: boolean,
  numbers: number[] | undefined,
): number[] {
  const size = float ? 4 : 8;
  if ((end - start) % size !== 0) {
    throw new RangeError(`packed ${float ? "float" : "double"} list of ${end - start} bytes`);
  }
  const count = (end - start) / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const offset = numbers?.length ?? 0;
  // new Array(n) filled with numbers keeps them unboxed; push() onto an existing list does too.
  const out = numbers ?? new Array<number>(count);
  for (let i = 0; i < count; i++) {
    out[offset + i] = float ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  }
  return out;
}

function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function isSet(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined;
}

/** protobuf-es alone, then the lists copied unboxed. */
function generic(schema: DescMessage, bytes: Uint8Array): Fields {
  const message = fromBinary(schema, bytes);
  unboxNumberLists(schema, message);
  return message as Fields;
}
