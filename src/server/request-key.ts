import { createHash } from "node:crypto";
import { clone, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { canonicalJson } from "../util/canonical-json.js";
import { bytesOf, float32Of, floatLists } from "./store/float32.js";
import type { RequestKey } from "./store/store.js";
import { checkUuid } from "./validation/rules.js";
import type { Violations } from "./validation/violations.js";

/**
 * The key under which a create is stored once (AIP-155): its request_id, and a fingerprint of the
 * method and of every other field, independent of the order map entries arrived in. Undefined
 * when the request has no request_id. Records a violation when request_id is not a UUID.
 * `request` may hold its embeddings rounded to float32 already; `sent` is the request as it came,
 * for the former fingerprint.
 */
export function requestKey<Desc extends DescMessage>(
  v: Violations,
  schema: Desc,
  request: MessageShape<Desc> & { requestId: string },
  sent: MessageShape<Desc> & { requestId: string } = request,
): RequestKey | undefined {
  if (!checkUuid(v, "request_id", request.requestId, true) || request.requestId === "") {
    return undefined;
  }
  // A request that will be refused needs no key.
  if (v.any) return undefined;
  const key = {
    requestId: request.requestId.toLowerCase(),
    fingerprint: fingerprint(schema, request),
  };
  return floatLists(schema).length === 0
    ? key
    : { ...key, formerFingerprint: () => formerFingerprint(schema, sent) };
}

/**
 * SHA-256 of the method, of the request's fields but request_id and embeddings as canonical JSON,
 * then of each embedding's float32 bytes. Hashing 1,536 floats' bytes takes microseconds where
 * writing them as JSON took about 0.6 ms; it keeps every difference a store would keep, and no
 * other (a value the store rounds to the same float32 is the same request).
 */
export function fingerprint<Desc extends DescMessage>(
  schema: Desc,
  request: MessageShape<Desc>,
): string {
  const lists = floatLists(schema);
  // A shallow copy: the request itself is left as it came.
  const rest: Record<string, unknown> = { ...request, requestId: "" };
  for (const field of lists) rest[field.localName] = [];
  const hash = createHash("sha256")
    .update(schema.typeName)
    .update(canonicalJson(toJson(schema, rest as MessageShape<Desc>)));
  for (const field of lists) {
    const values = float32Of((request as Record<string, unknown>)[field.localName] as number[]);
    // JSON has no raw newline, so the text before each list's bytes cannot be taken for another.
    hash.update(`\n${field.name} ${values.length}\n`).update(bytesOf(values));
  }
  return hash.digest("base64url");
}

/**
 * The fingerprint as servers before this one computed it for requests with embeddings (all fields
 * as JSON): a repeat whose first request such a server logged is compared with it.
 */
function formerFingerprint<Desc extends DescMessage>(
  schema: Desc,
  request: MessageShape<Desc> & { requestId: string },
): string {
  const content = clone(schema, request) as MessageShape<Desc> & { requestId: string };
  content.requestId = "";
  return createHash("sha256")
    .update(schema.typeName)
    .update(canonicalJson(toJson(schema, content)))
    .digest("base64url");
}
