// Inputs whose framing is right and whose message is not: each message is refused by the services'
// decoder, which the generators check with that same decoder (assertRefused), except where said.
import { type JsonObject, toBinary, toJson, toJsonString } from "@bufbuild/protobuf";
import { breakBinary, concat, mutate, withInvalidUtf8 } from "./binary.js";
import { chooseTarget } from "./endpoints.js";
import { invalidUtf8Json, malformedJson, mutatedJson } from "./json.js";
import { loneSurrogateJson } from "./lone-surrogates.js";
import { assertRefused, httpInput, type Made } from "./made.js";
import type { Random } from "./random.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { chooseWire, post } from "./wire.js";

/**
 * Random bytes, made undecodable: protobuf by breakBinary; JSON by a 0xff byte, which never occurs
 * in UTF-8 (the services decode JSON bodies with a fatal TextDecoder).
 */
export function randomBytes(random: Random): Made {
  const target = chooseTarget(random);
  const wire = chooseWire(random);
  const schema = target.messageOf.input;
  const raw = random.bytes(random.logInt(1, 4096));
  const at = random.int(raw.length + 1);
  const payload =
    wire.codec === "proto"
      ? breakBinary(schema, raw, random)
      : concat(raw.subarray(0, at), Uint8Array.of(0xff), raw.subarray(at));
  const what = `${raw.length} random bytes`;
  assertRefused(schema, wire.codec, payload, what);
  return httpInput(target, wire, what, post(wire, target, payload));
}

/** A valid request with byte-level edits, then made undecodable (breakBinary, mutatedJson). */
export function mutatedValid(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const wire = chooseWire(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const { label, bytes } =
    wire.codec === "proto"
      ? {
          label: "mutated",
          bytes: breakBinary(schema, mutate(toBinary(schema, valid), random), random),
        }
      : mutatedJson(toJsonString(schema, valid), random);
  assertRefused(schema, wire.codec, bytes, label);
  return httpInput(target, wire, label, post(wire, target, bytes));
}

/** A valid request's JSON, made malformed (see malformedJson for why each variant is refused). */
export function malformedJsonInput(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const wire = chooseWire(random, "json");
  const schema = target.messageOf.input;
  const { label, bytes } = malformedJson(
    toJsonString(schema, validRequest(target.messageOf, ids)),
    random,
  );
  assertRefused(schema, "json", bytes, label);
  return httpInput(target, wire, label, post(wire, target, bytes));
}

/**
 * Strings that are not UTF-8: raw bytes in a binary string field or in a JSON body (both refused by
 * the decoder), or a lone surrogate escape in a JSON string, which no UTF-8 string can hold. The
 * last is valid JSON text that protobuf-es does decode inside Structs: there the services
 * themselves must refuse it.
 */
export function invalidUtf8Input(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const roll = random.int(100);
  if (roll < 35) {
    const wire = chooseWire(random, "proto");
    const payload = withInvalidUtf8(schema, toBinary(schema, valid), random);
    const what = "a string field that is not UTF-8";
    assertRefused(schema, "proto", payload, what);
    return httpInput(target, wire, what, post(wire, target, payload));
  }
  const wire = chooseWire(random, "json");
  if (roll < 70) {
    const { label, bytes } = invalidUtf8Json(toJsonString(schema, valid), random);
    assertRefused(schema, "json", bytes, label);
    return httpInput(target, wire, label, post(wire, target, bytes));
  }
  const { label, bytes } = loneSurrogateJson(schema, toJson(schema, valid) as JsonObject, random);
  return httpInput(target, wire, label, post(wire, target, bytes));
}
