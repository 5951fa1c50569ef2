import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

/**
 * Where a message type holds lists of floating-point numbers (embeddings), directly or in its
 * message fields: what the number-list decoders need to know, computed once per type.
 */
export interface NumberListPlan {
  readonly numberLists: readonly NumberListField[];
  readonly children: readonly ChildField[];
  /** Both of the above by field number. */
  readonly byNumber: ReadonlyMap<number, NumberListField | ChildField>;
}

/** What a planned field is called: in the message, in proto3 JSON, and in the .proto file. */
interface FieldNames {
  readonly name: string;
  readonly jsonName: string;
  readonly protoName: string;
}

export interface NumberListField extends FieldNames {
  readonly kind: "numbers";
  readonly number: number;
  /** 4-byte floats, or 8-byte doubles. */
  readonly float: boolean;
}

export interface ChildField extends FieldNames {
  readonly kind: "child";
  readonly number: number;
  readonly list: boolean;
  readonly schema: DescMessage;
  readonly plan: NumberListPlan;
}

/** Null for message types without number lists at any depth. */
const plans = new WeakMap<DescMessage, NumberListPlan | null>();

/** The plan of `schema`, or null when neither it nor any message it holds has number lists. */
export function numberListPlan(schema: DescMessage): NumberListPlan | null {
  // Asked on every call: the cached plan, with no allocation.
  const known = plans.get(schema);
  return known !== undefined ? known : planOf(schema, new Set());
}

function planOf(schema: DescMessage, visiting: Set<DescMessage>): NumberListPlan | null {
  const known = plans.get(schema);
  if (known !== undefined) return known;
  // A type that holds itself (google.protobuf.Struct) is planned once; the inner visit sees none.
  if (visiting.has(schema)) return null;
  visiting.add(schema);
  const fields: (NumberListField | ChildField)[] = [];
  for (const field of schema.fields) {
    // Oneof members are stored under their group; none of the contracts' number lists is one.
    if (field.oneof) continue;
    const number = numberListOf(field);
    if (number) fields.push(number);
    const child = childOf(field, visiting);
    if (child) fields.push(child);
  }
  visiting.delete(schema);
  const plan =
    fields.length === 0
      ? null
      : {
          numberLists: fields.filter((f): f is NumberListField => f.kind === "numbers"),
          children: fields.filter((f): f is ChildField => f.kind === "child"),
          byNumber: new Map(fields.map((f) => [f.number, f])),
        };
  plans.set(schema, plan);
  return plan;
}

function numberListOf(field: DescField): NumberListField | undefined {
  if (field.fieldKind !== "list" || field.listKind !== "scalar") return undefined;
  if (field.scalar !== ScalarType.FLOAT && field.scalar !== ScalarType.DOUBLE) return undefined;
  return {
    kind: "numbers",
    ...namesOf(field),
    number: field.number,
    float: field.scalar === ScalarType.FLOAT,
  };
}

function childOf(field: DescField, visiting: Set<DescMessage>): ChildField | undefined {
  const schema =
    field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")
      ? field.message
      : undefined;
  // Delimited (group) encoding is left to protobuf-es.
  if (!schema || ("delimitedEncoding" in field && field.delimitedEncoding)) return undefined;
  const plan = planOf(schema, visiting);
  if (!plan) return undefined;
  return {
    kind: "child",
    ...namesOf(field),
    number: field.number,
    list: field.fieldKind === "list",
    schema,
    plan,
  };
}

function namesOf(field: DescField): FieldNames {
  return { name: field.localName, jsonName: field.jsonName, protoName: field.name };
}
