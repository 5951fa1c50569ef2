/**
 * A google.protobuf.Struct as protobufjs takes it: a message of Values, each with one kind set.
 * protobufjs has no JSON mapping for Struct (only Any), so grpc-js users with proto-loader write
 * this conversion themselves. Its field names are camelCase whatever `keepCase` says: proto-loader
 * takes the well-known types from protobufjs's own definitions, which spell them so.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** A google.protobuf.Value, as protobufjs names its fields. */
type ValueObject =
  | { nullValue: "NULL_VALUE" }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: StructObject }
  | { listValue: { values: ValueObject[] } };

/** A google.protobuf.Struct, as protobufjs names its fields. */
export interface StructObject {
  fields: Record<string, ValueObject>;
}

export function toStruct(json: JsonObject): StructObject {
  const fields: Record<string, ValueObject> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = toValue(value);
  return { fields };
}

function toValue(value: JsonValue): ValueObject {
  if (value === null) return { nullValue: "NULL_VALUE" };
  if (typeof value === "number") return { numberValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value) };
}
