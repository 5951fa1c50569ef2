// The fingerprint a create is logged under with its request_id: what makes two requests the same.
import { createHash, randomUUID } from "node:crypto";
import { create, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type CreateMemoryRequest,
  CreateMemoryRequestSchema,
  SourceType,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { CreateSessionRequestSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { fingerprint, requestKey } from "../../src/server/request-key.js";
import { Violations } from "../../src/server/validation/violations.js";
import { canonicalJson } from "../../src/util/canonical-json.js";

const embedding = Array.from({ length: 1536 }, (_, i) => Math.fround(Math.sin(i)));

function memoryRequest(fields: Partial<CreateMemoryRequest> = {}): CreateMemoryRequest {
  return {
    $typeName: "contextiq.memory.v1.CreateMemoryRequest",
    scope: { user_id: "u1", agent_id: "a1" },
    fact: "The user prefers window seats.",
    topic: "travel",
    embedding,
    confidence: 0.9,
    importance: 0.4,
    sourceType: SourceType.DIRECT,
    sourceId: "",
    ttlDays: 30,
    requestId: randomUUID(),
    ...fields,
  };
}

const memoryFingerprint = (fields: Partial<CreateMemoryRequest>) =>
  fingerprint(CreateMemoryRequestSchema, memoryRequest(fields));

/** The fingerprint as the previous version computed it: every field but request_id as JSON. */
function formerFingerprint<Desc extends DescMessage>(schema: Desc, request: MessageShape<Desc>) {
  return createHash("sha256")
    .update(schema.typeName)
    .update(canonicalJson(toJson(schema, { ...request, requestId: "" } as MessageShape<Desc>)))
    .digest("base64url");
}

/** The float32 next above `value`. */
function nextFloat32(value: number): number {
  const bits = new Uint32Array(Float32Array.of(value).buffer);
  bits[0] = (bits[0] as number) + (value >= 0 ? 1 : -1);
  return new Float32Array(bits.buffer)[0] as number;
}

describe("the fingerprint of a create", () => {
  it("is the same whatever order the scope's entries arrived in", () => {
    expect(memoryFingerprint({ scope: { b: "2", a: "1" } })).toBe(
      memoryFingerprint({ scope: { a: "1", b: "2" } }),
    );
  });

  it("leaves out the request_id, and leaves the request as it was", () => {
    const request = memoryRequest();
    const copy = structuredClone(request);
    expect(fingerprint(CreateMemoryRequestSchema, request)).toBe(
      memoryFingerprint({ requestId: randomUUID() }),
    );
    expect(request).toEqual(copy);
  });

  it("tells apart embeddings that differ in one float by the smallest step", () => {
    const changed = [...embedding];
    changed[1000] = nextFloat32(changed[1000] as number);
    expect(memoryFingerprint({ embedding: changed })).not.toBe(memoryFingerprint({}));
  });

  it("tells apart embeddings of different lengths, and an embedding from none", () => {
    const prints = new Set([
      memoryFingerprint({ embedding: [1, 2] }),
      memoryFingerprint({ embedding: [1, 2, 0] }),
      memoryFingerprint({ embedding: [0, 1, 2] }),
      memoryFingerprint({ embedding: [] }),
    ]);
    expect(prints.size).toBe(4);
  });

  it("takes values that round to the same float32, as the store keeps them, as the same", () => {
    expect(memoryFingerprint({ embedding: [0.1, 1e-50] })).toBe(
      memoryFingerprint({ embedding: [Math.fround(0.1), 0] }),
    );
  });

  it("tells apart requests that differ in any other field", () => {
    const prints = [
      memoryFingerprint({}),
      memoryFingerprint({ scope: { user_id: "u1", agent_id: "a2" } }),
      memoryFingerprint({ scope: { user_id: "u1" } }),
      memoryFingerprint({ fact: "The user prefers aisle seats." }),
      memoryFingerprint({ topic: "" }),
      memoryFingerprint({ confidence: 0.8 }),
      memoryFingerprint({ confidence: undefined }),
      memoryFingerprint({ importance: 0.5 }),
      memoryFingerprint({ sourceType: SourceType.EXTRACTED }),
      memoryFingerprint({ sourceId: randomUUID() }),
      memoryFingerprint({ ttlDays: 31 }),
    ];
    expect(new Set(prints).size).toBe(prints.length);
  });

  it("is what it was for requests without embeddings, so their logged requests still match", () => {
    const request = create(CreateSessionRequestSchema, {
      scope: { user_id: "u1" },
      title: "t",
      state: { b: [1, { c: "x" }], a: null },
      ttlSeconds: 60,
      requestId: randomUUID(),
    });
    const key = requestKey(new Violations(), CreateSessionRequestSchema, request);
    expect(key?.fingerprint).toBe(formerFingerprint(CreateSessionRequestSchema, request));
    expect(key?.formerFingerprint).toBeUndefined();
  });

  it("keeps the previous version's fingerprint of a CreateMemory at hand, for a repeat it logged", () => {
    const request = memoryRequest({ requestId: randomUUID().toUpperCase() });
    const key = requestKey(new Violations(), CreateMemoryRequestSchema, request);
    expect(key?.requestId).toBe(request.requestId.toLowerCase());
    expect(key?.fingerprint).not.toBe(formerFingerprint(CreateMemoryRequestSchema, request));
    expect(key?.formerFingerprint?.()).toBe(formerFingerprint(CreateMemoryRequestSchema, request));
  });
});
