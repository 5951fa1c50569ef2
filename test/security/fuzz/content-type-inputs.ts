import { contentTypeUnaryRegExp } from "@connectrpc/connect/protocol-connect";
import { contentTypeRegExp as grpcContentType } from "@connectrpc/connect/protocol-grpc";
import { contentTypeRegExp as grpcWebContentType } from "@connectrpc/connect/protocol-grpc-web";
import { decodesAsBinary } from "./binary.js";
import { chooseTarget } from "./endpoints.js";
import { decodesAsJson } from "./json.js";
import { encode, httpInput, type Made } from "./made.js";
import type { Random } from "./random.js";
import { type SeedIds, validRequest } from "./valid-requests.js";
import { type Codec, chooseWire, post } from "./wire.js";

/**
 * Content types that none of the services' handlers match (checked below against connect's own
 * patterns for Connect unary, gRPC and gRPC-Web; Connect streaming's is left out for streams),
 * so the request is 415 whatever its body. The
 * empty one stands for no Content-Type at all, which is 415 too where more than one protocol
 * accepts POST (every method here).
 */
const wrongContentTypes = [
  "",
  "text/plain",
  "text/html; charset=utf-8",
  "application/xml",
  "multipart/form-data; boundary=fuzz",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "application/protobuf",
  "application/x-protobuf",
  "application/jsonx",
  "application/json; charset=latin1",
  "application/grpc+xml",
  "application/grpc-web+thrift",
  "application/connect+json",
  "application/json, application/proto",
  "*/*",
];
for (const type of wrongContentTypes) {
  if ([contentTypeUnaryRegExp, grpcContentType, grpcWebContentType].some((re) => re.test(type))) {
    throw new Error(`"${type}" is a content type the services accept`);
  }
}

/**
 * A valid request under a content type the services do not speak (415); or in the other codec
 * than its content type says, JSON text where protobuf is expected or the reverse, sent only when
 * the services' decoder refuses it (it nearly always does).
 */
export function wrongContentType(random: Random, ids: SeedIds): Made {
  const target = chooseTarget(random);
  const schema = target.messageOf.input;
  const valid = validRequest(target.messageOf, ids);
  const wire = chooseWire(random);
  if (random.chance(0.4)) {
    const other: Codec = wire.codec === "json" ? "proto" : "json";
    const payload = encode(schema, valid, other);
    const decodes =
      wire.codec === "proto" ? decodesAsBinary(schema, payload) : decodesAsJson(schema, payload);
    if (!decodes)
      return httpInput(target, wire, `a valid ${other} message`, post(wire, target, payload));
  }
  // Connect's streaming content type is the right one for a stream (WatchEvents), whose gRPC
  // envelope is a Connect stream's too.
  const type = random.pick(
    target.messageOf.methodKind === "unary"
      ? wrongContentTypes
      : wrongContentTypes.filter((t) => !t.startsWith("application/connect+")),
  );
  const request = post(wire, target, encode(schema, valid, wire.codec));
  const { "content-type": _, ...others } = request.headers;
  const headers = type === "" ? others : { ...others, "content-type": type };
  return httpInput(target, wire, `content type "${type}"`, { ...request, headers });
}
