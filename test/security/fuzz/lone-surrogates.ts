// Lone UTF-16 surrogates in JSON strings: valid JSON text, but no Unicode string.
import { type DescMessage, type JsonObject, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import type { Random } from "./random.js";

/**
 * `json` with a lone UTF-16 surrogate (written as a \uXXXX escape, which is valid JSON text) in one
 * of its string fields, or in a key of one of its maps or a member name in one of its Structs. A
 * lone surrogate is not a Unicode scalar value, so no UTF-8, and no proto3 string, can hold it;
 * protobuf-es refuses it in string fields and map entries. Only strings that are strings in the
 * schema are poisoned: an enum name or a message's own field name that no longer matches would
 * be skipped as unknown (ignoreUnknownFields), leaving a valid request.
 */
export function loneSurrogateJson(
  schema: DescMessage,
  json: JsonObject,
  random: Random,
): { label: string; bytes: Uint8Array } {
  const surrogate = String.fromCharCode(random.pick([0xd800, 0xdbff, 0xdc00, 0xdfff]));
  const values: string[][] = [];
  const names: string[][] = [];
  collectStringFields(schema, json, [], values, names);
  const stringField = schema.fields.find(
    (f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING,
  );
  let poisoned: JsonObject;
  let where: string;
  if (names.length > 0 && random.chance(0.3)) {
    const path = random.pick(names);
    poisoned = poisonAt(json, path, surrogate, true) as JsonObject;
    where = `the name ${path.join(".")}`;
  } else if (values.length > 0 && (stringField === undefined || random.chance(0.8))) {
    const path = random.pick(values);
    poisoned = poisonAt(json, path, surrogate, false) as JsonObject;
    where = path.join(".");
  } else if (stringField !== undefined) {
    poisoned = { ...json, [stringField.jsonName]: `x${surrogate}` };
    where = stringField.jsonName;
  } else {
    throw new Error(`${schema.typeName} has no string to put a lone surrogate in`);
  }
  return {
    label: `lone surrogate \\u${surrogate.charCodeAt(0).toString(16)} in ${where}`,
    bytes: new TextEncoder().encode(JSON.stringify(poisoned)),
  };
}

/**
 * The paths of the strings in `json` that the schema types as strings (string fields, map values,
 * Struct strings), and of the names that are free text (map keys, Struct member names).
 */
function collectStringFields(
  schema: DescMessage,
  json: JsonObject,
  path: string[],
  values: string[][],
  names: string[][],
): void {
  for (const field of schema.fields) {
    const value = json[field.jsonName];
    if (value === undefined || value === null) continue;
    const at = [...path, field.jsonName];
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING) {
      values.push(at);
    } else if (field.fieldKind === "list" && field.scalar === ScalarType.STRING) {
      (value as JsonValue[]).forEach((_, i) => {
        values.push([...at, String(i)]);
      });
    } else if (field.fieldKind === "map") {
      for (const key of Object.keys(value as JsonObject)) {
        names.push([...at, key]);
        if (field.scalar === ScalarType.STRING) values.push([...at, key]);
      }
    } else if (
      field.fieldKind === "message" &&
      field.message.typeName === "google.protobuf.Struct"
    ) {
      collectFreeJson(value, at, values, names);
    } else if (
      field.fieldKind === "message" &&
      !field.message.typeName.startsWith("google.protobuf.")
    ) {
      collectStringFields(field.message, value as JsonObject, at, values, names);
    }
  }
}

/** Every string and every member name inside free-form JSON (a Struct). */
function collectFreeJson(
  value: JsonValue,
  path: string[],
  values: string[][],
  names: string[][],
): void {
  if (typeof value === "string") {
    values.push(path);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collectFreeJson(v, [...path, String(i)], values, names);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      names.push([...path, k]);
      collectFreeJson(v, [...path, k], values, names);
    }
  }
}

/** Appends the surrogate to the string at `path`, or (asKey) to the member name holding it. */
function poisonAt(value: JsonValue, path: string[], surrogate: string, asKey: boolean): JsonValue {
  const [head, ...tail] = path;
  if (head === undefined) return `${value as string}${surrogate}`;
  if (Array.isArray(value)) {
    return value.map((v, i) => (String(i) === head ? poisonAt(v, tail, surrogate, asKey) : v));
  }
  const object = value as JsonObject;
  const child = object[head] as JsonValue;
  if (asKey && tail.length === 0) {
    const { [head]: _, ...others } = object;
    return { ...others, [`${head}${surrogate}`]: child };
  }
  return { ...object, [head]: poisonAt(child, tail, surrogate, asKey) };
}
