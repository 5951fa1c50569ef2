import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { type NumberListPlan, numberListPlan } from "./number-list-plan.js";

/** The largest finite float32; protobuf-es refuses larger finite numbers in a float field. */
const float32Max = 3.4028234663852886e38;

/**
 * `toBinary`, but packed float and double lists (embeddings) are written in bulk rather than a
 * number at a time with a range check and a capacity check each: a 1536-float embedding is most of
 * what a CreateMemory or SearchMemories request weighs. The lists go after the message's other
 * fields, which protobuf allows (fields may come in any order) and every decoder reads alike.
 * A list holding anything but numbers within range is left to protobuf-es, which reports it.
 */
export function toBinaryBulk<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): Uint8Array {
  const plan = numberListPlan(schema);
  if (!plan) return toBinary(schema, message);
  return encode(schema, plan, message as Fields) ?? toBinary(schema, message);
}

type Fields = Record<string, unknown>;

/** The message's bytes, or undefined when a list must go through protobuf-es. */
function encode(
  schema: DescMessage,
  plan: NumberListPlan,
  message: Fields,
): Uint8Array | undefined {
  const tail = new BinaryWriter();
  // The message without the planned fields, for protobuf-es; the fields themselves go to `tail`.
  const rest = Object.assign(Object.create(Object.getPrototypeOf(message)), message) as Fields;
  for (const field of plan.numberLists) {
    const numbers = message[field.name] as unknown[];
    if (numbers.length === 0) continue;
    if (!allInRange(numbers, field.float)) return undefined;
    rest[field.name] = [];
    const size = field.float ? 4 : 8;
    const bytes = new Uint8Array(numbers.length * size);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < numbers.length; i++) {
      if (field.float) view.setFloat32(i * 4, numbers[i] as number, true);
      else view.setFloat64(i * 8, numbers[i] as number, true);
    }
    tail.tag(field.number, WireType.LengthDelimited).bytes(bytes);
  }
  for (const field of plan.children) {
    const value = message[field.name];
    if (value === undefined) continue;
    const children = field.list ? (value as Fields[]) : [value as Fields];
    const encoded: Uint8Array[] = [];
    for (const child of children) {
      const bytes = encode(field.schema, field.plan, child);
      if (bytes === undefined) return undefined;
      encoded.push(bytes);
    }
    rest[field.name] = field.list ? [] : undefined;
    for (const bytes of encoded) tail.tag(field.number, WireType.LengthDelimited).bytes(bytes);
  }
  const head = toBinary(schema, rest as MessageShape<DescMessage>);
  const end = tail.finish();
  const out = new Uint8Array(head.length + end.length);
  out.set(head);
  out.set(end, head.length);
  return out;
}

function allInRange(numbers: readonly unknown[], float: boolean): boolean {
  for (let i = 0; i < numbers.length; i++) {
    const value = numbers[i];
    if (typeof value !== "number") return false;
    if (float && Number.isFinite(value) && (value > float32Max || value < -float32Max))
      return false;
  }
  return true;
}
