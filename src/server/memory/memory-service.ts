import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CreateMemoryRequestSchema,
  MemoryRevisionSchema,
  MemorySchema,
  type MemoryService,
  SourceType,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import { jsonSizer } from "../item-size.js";
import { PageTokens } from "../page-token.js";
import { requestKey } from "../request-key.js";
import { float32Of, numbersOf } from "../store/float32.js";
import type { MemoryChanges, MemoryStore } from "../store/store.js";
import {
  checkEmbedding,
  checkLength,
  checkPageSize,
  checkRange,
  checkScope,
  checkUuid,
  uuidField,
} from "../validation/rules.js";
import { Violations } from "../validation/violations.js";

/** What the Memory handlers run on. */
export interface MemoryServiceDeps {
  readonly store: MemoryStore;
  /** Current time in ms since the epoch. Defaults to Date.now. */
  readonly now?: () => number;
}

const dayMs = 24 * 60 * 60 * 1000;
const updatable = ["fact", "topic", "embedding", "confidence", "importance"] as const;

/**
 * The handlers of contextiq.memory.v1.MemoryService: each validates its whole request before it
 * touches the store, then runs one store transaction.
 */
export function createMemoryService({
  store,
  now = Date.now,
}: MemoryServiceDeps): ServiceImpl<typeof MemoryService> {
  const tokens = new PageTokens(store.pageTokenKey, now);

  return {
    async createMemory(req) {
      const v = new Violations();
      checkScope(v, "scope", req.scope, { required: true, nonEmptyValues: true });
      checkLength(v, "fact", req.fact, 10_000, 1);
      checkLength(v, "topic", req.topic, 200);
      checkEmbedding(v, "embedding", req.embedding);
      const confidence = req.confidence ?? 1;
      const importance = req.importance ?? 0.5;
      checkRange(v, "confidence", confidence, 0, 1);
      checkRange(v, "importance", importance, 0, 1);
      v.check(
        req.sourceType in SourceType,
        "source_type",
        `must be a SourceType value, got ${req.sourceType}`,
      );
      checkUuid(v, "source_id", req.sourceId, true);
      if (req.ttlDays !== 0) checkRange(v, "ttl_days", req.ttlDays, 1, 730, " days");
      // Connect decodes an embedding into an array of boxed numbers, several times slower to
      // read than a plain one: rounded to float32 once, as every store keeps it, and read from
      // here on.
      const embedding = numbersOf(float32Of(req.embedding));
      const key = requestKey(v, CreateMemoryRequestSchema, { ...req, embedding }, req);
      v.throwIfAny();
      const at = now();
      const memory = create(MemorySchema, {
        id: randomUUID(),
        scope: req.scope,
        fact: req.fact,
        topic: req.topic,
        embedding,
        confidence,
        importance,
        sourceType: req.sourceType || SourceType.DIRECT,
        sourceId: req.sourceId.toLowerCase(),
        expiresAt: timestampFromMs(at + (req.ttlDays || 365) * dayMs),
        createdAt: timestampFromMs(at),
        updatedAt: timestampFromMs(at),
      });
      return { memory: await store.createMemory(memory, key, at) };
    },

    async getMemory(req) {
      const v = new Violations();
      const memoryId = uuidField(v, "id", req.id);
      v.throwIfAny();
      const [memory] = await store.readMemories([memoryId], now());
      return { memory };
    },

    async batchGetMemories(req) {
      const v = new Violations();
      if (
        v.check(
          req.ids.length >= 1 && req.ids.length <= 100,
          "ids",
          `must hold 1-100 ids, got ${req.ids.length}`,
        )
      ) {
        for (const [i, value] of req.ids.entries()) checkUuid(v, `ids[${i}]`, value);
      }
      v.throwIfAny();
      const ids = req.ids.map((value) => value.toLowerCase());
      return { memories: await store.readMemories(ids, now()) };
    },

    async listMemories(req) {
      const v = new Violations();
      checkScope(v, "scope", req.scope, { required: true });
      checkLength(v, "topic", req.topic, 200);
      const limit = checkPageSize(v, req.pageSize);
      v.throwIfAny();
      const filter = { scope: req.scope, topic: req.topic, includeDeleted: req.includeDeleted };
      const { items, ...page } = await tokens.page(
        req.pageToken,
        filter,
        limit,
        (p) => store.listMemories(filter, now(), p),
        jsonSizer(MemorySchema),
      );
      return { memories: items, ...page };
    },

    async searchMemories(req) {
      const v = new Violations();
      if (checkEmbedding(v, "query_embedding", req.queryEmbedding, true)) {
        v.check(
          // At float32, the precision compared: 1e-50 is a zero there.
          req.queryEmbedding.some((x) => Math.fround(x) !== 0),
          "query_embedding",
          "must not be all zeros: it has no direction to compare with",
        );
      }
      checkScope(v, "scope", req.scope, { required: true });
      checkLength(v, "topic", req.topic, 200);
      if (req.limit !== 0) checkRange(v, "limit", req.limit, 1, 100);
      checkRange(v, "min_confidence", req.minConfidence, 0, 1);
      v.throwIfAny();
      const results = await store.searchMemories(
        {
          scope: req.scope,
          topic: req.topic,
          embedding: req.queryEmbedding,
          minConfidence: req.minConfidence,
          limit: req.limit || 10,
          exact: req.exact,
        },
        now(),
      );
      return { results };
    },

    async updateMemory(req) {
      const v = new Violations();
      const memory = req.memory ?? create(MemorySchema);
      const memoryId = uuidField(v, "memory.id", memory.id);
      const paths = req.updateMask?.paths ?? [];
      v.check(paths.length > 0, "update_mask", `must name at least one of ${updatable.join(", ")}`);
      const changes: MemoryChanges = {};
      for (const path of paths) {
        switch (path) {
          case "fact":
            checkLength(v, "memory.fact", memory.fact, 10_000, 1);
            changes.fact = memory.fact;
            break;
          case "topic":
            checkLength(v, "memory.topic", memory.topic, 200);
            changes.topic = memory.topic;
            break;
          case "embedding":
            checkEmbedding(v, "memory.embedding", memory.embedding);
            changes.embedding = memory.embedding;
            break;
          case "confidence":
          case "importance":
            checkRange(v, `memory.${path}`, memory[path], 0, 1);
            changes[path] = memory[path];
            break;
          default:
            v.add(
              "update_mask",
              `cannot update ${JSON.stringify(path)}: use ${updatable.join(", ")}`,
            );
        }
      }
      checkLength(v, "change_reason", req.changeReason, 1000);
      v.throwIfAny();
      return { memory: await store.updateMemory(memoryId, changes, req.changeReason, now()) };
    },

    async deleteMemory(req) {
      const v = new Violations();
      const memoryId = uuidField(v, "id", req.id);
      checkLength(v, "reason", req.reason, 1000);
      v.throwIfAny();
      return { memory: await store.deleteMemory(memoryId, req.reason, now()) };
    },

    async listMemoryRevisions(req) {
      const v = new Violations();
      const memoryId = uuidField(v, "memory_id", req.memoryId);
      const limit = checkPageSize(v, req.pageSize);
      v.throwIfAny();
      const filter = { memoryId };
      const { items, ...page } = await tokens.page(
        req.pageToken,
        filter,
        limit,
        (p) => store.listRevisions(memoryId, now(), p),
        jsonSizer(MemoryRevisionSchema),
      );
      return { revisions: items, ...page };
    },

    async getMemoryRevision(req) {
      const v = new Violations();
      const memoryId = uuidField(v, "memory_id", req.memoryId);
      v.check(
        req.revisionNumber >= 1,
        "revision_number",
        `must be >= 1, got ${req.revisionNumber}`,
      );
      v.throwIfAny();
      return { revision: await store.getRevision(memoryId, req.revisionNumber, now()) };
    },
  };
}
