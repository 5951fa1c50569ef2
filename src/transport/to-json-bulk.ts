import {
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type JsonWriteOptions,
  type MessageShape,
  toJson,
} from "@bufbuild/protobuf";
import { type NumberListPlan, numberListPlan } from "./number-list-plan.js";

/**
 * `toJson`, but number lists (embeddings) of finite numbers go into the JSON as the arrays they
 * are, for `JSON.stringify` to write in one pass, instead of being converted a number at a time.
 * Lists with NaN or infinities (written as strings) and every other field go through `toJson`.
 * The result may share those arrays with the message: serialize it, don't keep it.
 */
export function toJsonBulk<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options?: Partial<JsonWriteOptions>,
): JsonValue {
  const plan = numberListPlan(schema);
  if (!plan) return toJson(schema, message, options);
  return encode(schema, plan, message as Fields, options) ?? toJson(schema, message, options);
}

type Fields = Record<string, unknown>;

/** The message's JSON, or undefined when a list must go through protobuf-es. */
function encode(
  schema: DescMessage,
  plan: NumberListPlan,
  message: Fields,
  options: Partial<JsonWriteOptions> | undefined,
): JsonObject | undefined {
  const rest = Object.assign(Object.create(Object.getPrototypeOf(message)), message) as Fields;
  const taken: [string, JsonValue][] = [];
  const key = (field: { jsonName: string; protoName: string }) =>
    options?.useProtoFieldName ? field.protoName : field.jsonName;
  for (const field of plan.numberLists) {
    const numbers = message[field.name] as unknown[];
    if (numbers.length === 0) continue;
    if (!allFinite(numbers)) return undefined;
    rest[field.name] = [];
    taken.push([key(field), numbers as number[]]);
  }
  for (const field of plan.children) {
    const value = message[field.name];
    const children = field.list
      ? (value as Fields[])
      : value === undefined
        ? []
        : [value as Fields];
    if (children.length === 0) continue;
    const written: JsonObject[] = [];
    for (const child of children) {
      const json = encode(field.schema, field.plan, child, options);
      if (json === undefined) return undefined;
      written.push(json);
    }
    rest[field.name] = field.list ? [] : undefined;
    taken.push([key(field), field.list ? written : (written[0] as JsonObject)]);
  }
  const json = toJson(schema, rest as MessageShape<DescMessage>, options) as JsonObject;
  for (const [name, value] of taken) json[name] = value;
  return json;
}

function allFinite(numbers: readonly unknown[]): boolean {
  for (let i = 0; i < numbers.length; i++) {
    const value = numbers[i];
    if (typeof value !== "number" || !Number.isFinite(value)) return false;
  }
  return true;
}
