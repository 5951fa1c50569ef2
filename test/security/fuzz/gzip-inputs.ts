// Inputs whose body is gzip, named so (Content-Encoding on Connect; grpc-encoding and the
// compressed flag on gRPC and gRPC-Web), that is wrong inside: an undecodable message gzipped,
// a valid message's gzip with its deflate data or trailer corrupted, or a small bomb that
// inflates past readMaxBytes. Undecodable messages are checked with the services' decoder.
import { gunzipSync, gzipSync } from "node:zlib";
import { toBinary, toJsonString } from "@bufbuild/protobuf";
import { gzipBomb, unknownFieldHeader } from "../../support/gzip-bomb.js";
import { breakBinary, mutate } from "./binary.js";
import { chooseTarget } from "./endpoints.js";
import { mutatedJson } from "./json.js";
import { assertRefused, encode, httpInput, type Made } from "./made.js";
import type { Random } from "./random.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { chooseWire, envelope, postBody, type Wire } from "./wire.js";

/** gzip's fixed header: what follows it is deflate data, then the CRC-32 and the length. */
const gzipHeaderBytes = 10;
/** The services' readMaxBytes, in MiB: a bomb inflates to more. */
const readMaxMebibytes = 4;

export function gzipBody(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const wire = chooseWire(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const roll = random.int(100);
  if (roll < 40) {
    const bytes =
      wire.codec === "proto"
        ? breakBinary(schema, mutate(toBinary(schema, valid), random), random)
        : mutatedJson(toJsonString(schema, valid), random).bytes;
    assertRefused(schema, wire.codec, bytes, "a gzipped message");
    return gzipped(wire, target, "an undecodable message, gzipped", gzipSync(bytes));
  }
  if (roll < 85) {
    const whole = gzipSync(encode(schema, valid, wire.codec));
    return gzipped(
      wire,
      target,
      `gzip of ${whole.length} bytes, corrupted`,
      corruptAfterHeader(whole, random),
    );
  }
  const mebibytes = readMaxMebibytes + 1 + random.int(4);
  const message = encode(schema, valid, wire.codec);
  const bomb =
    wire.codec === "json"
      ? gzipBomb(message, 0x20, mebibytes)
      : gzipBomb(
          Buffer.concat([message, unknownFieldHeader(mebibytes * 1024 * 1024)]),
          0,
          mebibytes,
        );
  return gzipped(wire, target, `a bomb inflating to ${mebibytes} MiB`, bomb);
}

/** A POST of `compressed`, named gzip as `wire`'s protocol names it. */
function gzipped(
  wire: Wire,
  target: ReturnType<typeof chooseTarget>,
  what: string,
  compressed: Uint8Array,
): Made {
  const request =
    wire.protocol === "connect"
      ? postBody(wire, target, compressed, { "content-encoding": "gzip" })
      : postBody(wire, target, envelope(1, compressed), { "grpc-encoding": "gzip" });
  return httpInput(target, wire, what, request);
}

/**
 * 1 to 4 bytes past the header changed (the header's own fields, a time and an OS, are not
 * checked by anyone), never appended: gunzip ignores zeros after the last member. A change that
 * still inflates, which the CRC-32 allows only when the output is the same (bits of padding after
 * the last deflate block), corrupts nothing: such a draw is made again.
 */
function corruptAfterHeader(whole: Uint8Array, random: Random): Uint8Array {
  for (;;) {
    const out = Uint8Array.from(whole);
    const edits = 1 + random.int(4);
    for (let i = 0; i < edits; i++) {
      const at = gzipHeaderBytes + random.int(out.length - gzipHeaderBytes);
      out[at] = (out[at] as number) ^ (1 + random.int(255));
    }
    if (!inflates(out)) return out;
  }
}

function inflates(bytes: Uint8Array): boolean {
  try {
    gunzipSync(bytes);
    return true;
  } catch {
    return false;
  }
}
