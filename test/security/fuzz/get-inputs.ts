import { type DescMessage, type Message, toBinary, toJsonString } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { breakBinary, concat } from "./binary.js";
import { allMethods, type Target, targetFor, unknownTarget } from "./endpoints.js";
import { malformedJson } from "./json.js";
import { assertRefused, type Made } from "./made.js";
import type { Random } from "./random.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import type { Codec } from "./wire.js";

/** Connect allows GET for side-effect-free methods only. */
const gettable = allMethods.filter(
  (m) => m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
);
const notGettable = allMethods.filter((m) => !gettable.includes(m));

/**
 * Connect GETs (?encoding=&message=&base64=&compression=) whose query cannot give a request:
 * malformed JSON; a JSON string holding percent-encoded bytes that are not UTF-8; base64 of an
 * undecodable message, or not base64 at all; protobuf with an illegal first tag; a missing or
 * unknown encoding; compression that is unsupported or not what the message is (plain JSON is not
 * gzip). Also valid queries where GET is refused: a method with side effects (405), a path nothing
 * serves (404).
 */
export function connectGet(random: Random, ids: SeedIds): Made {
  const roll = random.int(100);
  const target: Target =
    roll < 90
      ? targetFor(random.pick(gettable), random)
      : roll < 95
        ? targetFor(random.pick(notGettable), random)
        : unknownTarget(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const { query, what, refused } =
    roll < 90 ? hostileQuery(random, schema, valid) : validQuery(schema, valid);
  if (refused !== undefined) assertRefused(schema, refused.codec, refused.bytes, `GET ${what}`);
  const http = random.chance(0.7) ? "http1" : "h2";
  return {
    port: target.port,
    label: `GET with ${what}, ${http === "h2" ? "h2c" : "HTTP/1.1"}, ${target.path}`,
    request: {
      wire: http,
      method: "GET",
      path: `${target.path}?${query}`,
      headers: {},
      body: new Uint8Array(0),
    },
    mayClose: false,
  };
}

interface Query {
  readonly query: string;
  readonly what: string;
  /** The bytes the services decode, where the decoder is what refuses them. */
  readonly refused: { readonly codec: Codec; readonly bytes: Uint8Array } | undefined;
}

function validQuery(schema: DescMessage, valid: Message): Query {
  const query = `encoding=json&message=${encodeURIComponent(toJsonString(schema, valid))}`;
  return { query, what: "a valid query", refused: undefined };
}

function hostileQuery(random: Random, schema: DescMessage, valid: Message): Query {
  const json = toJsonString(schema, valid);
  const binary = toBinary(schema, valid);
  switch (random.int(8)) {
    case 0: {
      const bad = malformedJson(json, random);
      const query = `encoding=json&message=${percent(bad.bytes)}`;
      return {
        query,
        what: `${bad.label}, percent-encoded`,
        refused: { codec: "json", bytes: serverBytes(query) },
      };
    }
    case 1: {
      // Inside the first member name: the services must refuse it, not decode it as U+FFFD.
      const bad = random.pick(["%FF", "%C0%80", "%ED%A0%80", "%F4%90%80%80", "%E2%82", "%80"]);
      const at = json.indexOf('"') + 1;
      const message = `${encodeURIComponent(json.slice(0, at))}${bad}${encodeURIComponent(json.slice(at))}`;
      return {
        query: `encoding=json&message=${message}`,
        what: `${bad} (not UTF-8) in JSON`,
        refused: undefined,
      };
    }
    case 2: {
      const bad = malformedJson(json, random).bytes;
      const query = `encoding=json&base64=1&message=${base64url(bad)}`;
      return { query, what: "base64 of malformed JSON", refused: { codec: "json", bytes: bad } };
    }
    case 3: {
      const bad = breakBinary(schema, binary, random);
      const query = `encoding=proto&base64=1&message=${base64url(bad)}`;
      return {
        query,
        what: "base64 of undecodable protobuf",
        refused: { codec: "proto", bytes: bad },
      };
    }
    case 4: {
      // Without base64 the services UTF-8 encode the query text: an ASCII illegal tag survives.
      const bad = concat(Uint8Array.of(random.pick([0x00, 0x07, 0x0e, 0x0f])), binary);
      const query = `encoding=proto&message=${percent(bad)}`;
      return {
        query,
        what: "protobuf with an illegal first tag",
        refused: { codec: "proto", bytes: serverBytes(query) },
      };
    }
    case 5: {
      const junk = random.pick(["!!!", "a", "ab=c", "%%%", "****", "=AAA"]);
      const query = `encoding=${random.pick(["json", "proto"])}&base64=1&message=${encodeURIComponent(junk)}`;
      return { query, what: `not base64: ${junk}`, refused: undefined };
    }
    case 6: {
      const encoding = random.pick([undefined, "xml", "JSON ", "protobuf", ""]);
      const param = encoding === undefined ? "" : `encoding=${encodeURIComponent(encoding)}&`;
      const what = `encoding ${encoding === undefined ? "missing" : JSON.stringify(encoding)}`;
      return { query: `${param}message=${encodeURIComponent(json)}`, what, refused: undefined };
    }
    default: {
      const compression = random.pick(["gzip", "zstd", "x-fuzz"]);
      const query = `encoding=json&compression=${compression}&message=${encodeURIComponent(json)}`;
      return { query, what: `compression=${compression} over plain JSON`, refused: undefined };
    }
  }
}

/** The bytes the services decode for a GET's message: WHATWG query parsing, then UTF-8. */
function serverBytes(query: string): Uint8Array {
  return new TextEncoder().encode(new URLSearchParams(query).get("message") ?? "");
}

function percent(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `%${b.toString(16).padStart(2, "0").toUpperCase()}`).join("");
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
