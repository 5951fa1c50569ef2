import { type JsonObject, type JsonValue, toBinary, toJson } from "@bufbuild/protobuf";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { chooseTarget, targetFor } from "./endpoints.js";
import { assertRefused, httpInput, type Made } from "./made.js";
import type { Random } from "./random.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { chooseWire, post } from "./wire.js";

/** The Struct fields of the contract: the services refuse Structs nested over 32 levels. */
const structFields = [
  { method: SessionsService.method.createSession, field: "state" },
  { method: SessionsService.method.updateSessionState, field: "state" },
  { method: SessionsService.method.createEvent, field: "data" },
] as const;

/**
 * Deep nesting. Mostly a Struct nested 33-100,000 levels (objects, or lists) in an otherwise valid
 * write, refused by the services' depth rule or by protobuf-es's recursion limit of 100: as JSON,
 * or as binary up to 400 levels (protobuf-es's own encoder runs out of stack not far above).
 * Sometimes a JSON body of up to 100,000 "[" that never close, on any endpoint: the top-level
 * object is never closed, so it is not JSON.
 */
export function deepNesting(random: Random, ids: SeedIds): Made {
  if (random.chance(0.25)) {
    const target = chooseTarget(random);
    const wire = chooseWire(random, "json");
    const depth = random.logInt(33, 100_000);
    const bytes = new TextEncoder().encode(`{"a":${"[".repeat(depth)}`);
    const what = `${depth} unclosed "["`;
    assertRefused(target.messageOf.input, "json", bytes, what);
    return httpInput(target, wire, what, post(wire, target, bytes));
  }
  const { method, field } = random.pick(structFields);
  const target = targetFor(method, random);
  const valid = validRequest(method, ids);
  const asList = random.chance(0.3);
  const binary = random.chance(0.2);
  const depth = binary ? random.logInt(33, 400) : random.logInt(33, 100_000);
  const what = `${field} nested ${depth} levels${asList ? " (lists)" : ""}`;
  const wire = chooseWire(random, binary ? "proto" : "json");
  const payload = binary
    ? toBinary(method.input, { ...valid, [field]: nestedStruct(depth, asList) } as typeof valid)
    : new TextEncoder().encode(
        nestedJson(toJson(method.input, valid) as JsonObject, field, depth, asList),
      );
  return httpInput(target, wire, what, post(wire, target, payload));
}

/** A Struct `depth` levels deep: the Struct is the first level, the innermost holds a number. */
function nestedStruct(depth: number, asList: boolean): JsonObject {
  let value: JsonValue = 1;
  for (let i = 1; i < depth; i++) value = asList ? [value] : { a: value };
  return { a: value };
}

/** `base` as JSON text with `field` set to nestedStruct(depth), written out without recursion. */
function nestedJson(base: JsonObject, field: string, depth: number, asList: boolean): string {
  const open = asList ? "[" : '{"a":';
  const close = asList ? "]" : "}";
  const value = `{"a":${open.repeat(depth - 1)}1${close.repeat(depth - 1)}}`;
  const { [field]: _, ...others } = base;
  const prefix = JSON.stringify(others).slice(0, -1);
  return `${prefix}${prefix === "{" ? "" : ","}"${field}":${value}}`;
}
