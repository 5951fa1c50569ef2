import {
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonReadOptions,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import { type NumberListPlan, numberListPlan } from "./number-list-plan.js";
import { unboxedCopy, unboxNumberLists } from "./unboxed-number-lists.js";

/** The largest finite float32: a larger number in a float list is an error fromJson reports. */
const float32Max = 3.4028234663852886e38;

/**
 * `fromJson`, but the number lists (embeddings) keep the arrays `JSON.parse` made, which V8 stores
 * as raw doubles, instead of protobuf-es's copies with a heap object per number (see
 * unboxed-number-lists.ts). Lists that need protobuf-es's conversions (strings such as "NaN",
 * out-of-range floats) and everything else go through `fromJson`, so the result is the same.
 * `json` is not modified.
 */
export function fromJsonUnboxed<Desc extends DescMessage>(
  schema: Desc,
  json: JsonValue,
  options?: Partial<JsonReadOptions>,
): MessageShape<Desc> {
  const plan = numberListPlan(schema);
  if (!plan || !isObject(json)) {
    const message = fromJson(schema, json, options);
    if (plan) unboxNumberLists(schema, message);
    return message;
  }
  return decode(schema, plan, json, options) as MessageShape<Desc>;
}

function decode(
  schema: DescMessage,
  plan: NumberListPlan,
  json: JsonObject,
  options: Partial<JsonReadOptions> | undefined,
): Record<string, unknown> {
  let rest: JsonObject | undefined;
  const taken = new Map<string, unknown>();
  for (const field of plan.byNumber.values()) {
    // proto3 JSON accepts the field's JSON name and its proto name; with both, fromJson decides.
    const names =
      field.jsonName === field.protoName ? [field.jsonName] : [field.jsonName, field.protoName];
    const keys = names.filter((name) => name in json);
    if (keys.length !== 1) continue;
    const key = keys[0] as string;
    const value = json[key];
    let decoded: unknown;
    if (field.kind === "numbers") {
      if (!isPlainNumberList(value, field.float)) continue;
      decoded = value;
    } else if (field.list) {
      if (!Array.isArray(value) || !value.every(isObject)) continue;
      decoded = value.map((item) => decode(field.schema, field.plan, item as JsonObject, options));
    } else {
      if (!isObject(value)) continue;
      decoded = decode(field.schema, field.plan, value, options);
    }
    rest ??= { ...json };
    delete rest[key];
    taken.set(field.name, decoded);
  }
  const message = fromJson(schema, rest ?? json, options) as Record<string, unknown>;
  for (const field of plan.byNumber.values()) {
    if (taken.has(field.name)) {
      message[field.name] = taken.get(field.name);
      continue;
    }
    // Left to fromJson: copied unboxed, as after any other decoding.
    const value = message[field.name];
    if (field.kind === "numbers") {
      if ((value as number[]).length > 0) message[field.name] = unboxedCopy(value as number[]);
    } else if (value !== undefined) {
      for (const child of field.list ? (value as object[]) : [value as object]) {
        unboxNumberLists(field.schema, child);
      }
    }
  }
  return message;
}

/** An array of finite numbers, within float32's range for a float list: what fromJson keeps as is. */
function isPlainNumberList(value: JsonValue | undefined, float: boolean): value is number[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (typeof item !== "number" || !Number.isFinite(item)) return false;
    if (float && (item > float32Max || item < -float32Max)) return false;
  }
  return true;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
