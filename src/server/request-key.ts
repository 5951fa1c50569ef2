import { createHash } from "node:crypto";
import { clone, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { canonicalJson } from "../util/canonical-json.js";
import type { RequestKey } from "./store/store.js";
import { checkUuid } from "./validation/rules.js";
import type { Violations } from "./validation/violations.js";

/**
 * The key under which a create is stored once (AIP-155): its request_id, and a fingerprint of the
 * method and of every other field, independent of the order map entries arrived in. Undefined
 * when the request has no request_id. Records a violation when request_id is not a UUID.
 */
export function requestKey<Desc extends DescMessage>(
  v: Violations,
  schema: Desc,
  request: MessageShape<Desc> & { requestId: string },
): RequestKey | undefined {
  if (!checkUuid(v, "request_id", request.requestId, true) || request.requestId === "") {
    return undefined;
  }
  // A request that will be refused needs no key, and may hold what clone() refuses to copy.
  if (v.any) return undefined;
  const content = clone(schema, request) as MessageShape<Desc> & { requestId: string };
  content.requestId = "";
  const fingerprint = createHash("sha256")
    .update(schema.typeName)
    .update(canonicalJson(toJson(schema, content)))
    .digest("base64url");
  return { requestId: request.requestId.toLowerCase(), fingerprint };
}
