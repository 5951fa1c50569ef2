/**
 * A google.protobuf.Struct as protobufjs takes it with `keepCase: true`: a message of Values, each
 * with one kind set. protobufjs has no JSON mapping for Struct (only Any), so grpc-js users with
 * proto-loader write this conversion themselves.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** A google.protobuf.Value, with the proto's field names. */
type ValueObject =
  | { null_value: "NULL_VALUE" }
  | { number_value: number }
  | { string_value: string }
  | { bool_value: boolean }
  | { struct_value: StructObject }
  | { list_value: { values: ValueObject[] } };

/** A google.protobuf.Struct, with the proto's field names. */
export interface StructObject {
  fields: Record<string, ValueObject>;
}

export function toStruct(json: JsonObject): StructObject {
  const fields: Record<string, ValueObject> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = toValue(value);
  return { fields };
}

function toValue(value: JsonValue): ValueObject {
  if (value === null) return { null_value: "NULL_VALUE" };
  if (typeof value === "number") return { number_value: value };
  if (typeof value === "string") return { string_value: value };
  if (typeof value === "boolean") return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(toValue) } };
  return { struct_value: toStruct(value) };
}
