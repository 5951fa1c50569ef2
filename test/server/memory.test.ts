// MemoryService against the real reference server, over every protocol and HTTP version: each
// RPC's success and each error the contract documents for it.
import { randomUUID } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { SourceType } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { invalid, rejection } from "../support/errors.js";
import { useClients, useServices } from "../support/services.js";
import { describeEachStore } from "../support/stores.js";
import { transports } from "../support/transports.js";

const unknownId = "00000000-0000-4000-8000-000000000000";
const dayMs = 24 * 60 * 60 * 1000;

describeEachStore("MemoryService", (store) => {
  const fixture = useServices({ store });

  describe.each(transports)("over $name", (transport) => {
    const clients = useClients(transport, fixture);
    const scope = () => ({ user_id: randomUUID() });
    const remember = async (
      fields: Parameters<ReturnType<typeof clients>["memory"]["createMemory"]>[0],
    ) => (await clients().memory.createMemory(fields)).memory ?? expect.fail("no memory");
    /**
     * The memory as listed (ListMemories counts no access) once `counted` holds: accesses are
     * written about a second after the reads.
     */
    const onceCounted = (
      memory: { id: string; scope: Record<string, string> },
      counted: (accessCount: bigint) => boolean,
    ) =>
      vi.waitFor(
        async () => {
          const { memories } = await clients().memory.listMemories({ scope: memory.scope });
          const listed = memories.find((m) => m.id === memory.id) ?? expect.fail("not listed");
          expect(counted(listed.accessCount)).toBe(true);
          return listed;
        },
        { timeout: 10_000, interval: 50 },
      );

    describe("CreateMemory", () => {
      it("creates a memory with the documented defaults", async () => {
        const before = Date.now();
        const memory = await remember({
          scope: { user_id: "123" },
          fact: "User prefers Python",
          topic: "preferences",
          embedding: [0.5, -0.25, 0.125],
        });
        expect(memory).toMatchObject({
          scope: { user_id: "123" },
          fact: "User prefers Python",
          topic: "preferences",
          embedding: [0.5, -0.25, 0.125],
          confidence: 1,
          importance: 0.5,
          accessCount: 0n,
          sourceType: SourceType.DIRECT,
          sourceId: "",
        });
        const created = timestampMs(memory.createdAt ?? expect.fail());
        expect(created).toBeGreaterThanOrEqual(before);
        expect(timestampMs(memory.expiresAt ?? expect.fail())).toBe(created + 365 * dayMs);
        expect(memory.deletedAt).toBeUndefined();
      });

      it("keeps source_type, source_id, confidence, importance and ttl_days as given", async () => {
        const sessionId = randomUUID();
        const memory = await remember({
          scope: scope(),
          fact: "Name is Ada",
          sourceType: SourceType.EXTRACTED,
          sourceId: sessionId,
          confidence: 0,
          importance: 1,
          ttlDays: 730,
        });
        expect(memory).toMatchObject({
          sourceType: SourceType.EXTRACTED,
          sourceId: sessionId,
          confidence: 0,
          importance: 1,
        });
        const created = timestampMs(memory.createdAt ?? expect.fail());
        expect(timestampMs(memory.expiresAt ?? expect.fail())).toBe(created + 730 * dayMs);
      });

      it("refuses every out-of-range field at once and writes nothing", async () => {
        const s = scope();
        await invalid(
          clients().memory.createMemory({
            scope: s,
            fact: "   ",
            topic: "t".repeat(201),
            confidence: 1.5,
            importance: -0.1,
            sourceId: "not-a-uuid",
            ttlDays: 731,
          }),
          "fact",
          "topic",
          "confidence",
          "importance",
          "source_id",
          "ttl_days",
        );
        await invalid(clients().memory.createMemory({ fact: "no scope" }), "scope");
        await invalid(
          clients().memory.createMemory({ scope: s, fact: "f", embedding: [Number.NaN] }),
          "embedding",
        );
        expect(
          (await clients().memory.listMemories({ scope: s, includeDeleted: true })).totalSize,
        ).toBe(0);
      });

      it("refuses U+0000 in the fact, the topic and the scope, writing nothing", async () => {
        const s = scope();
        await invalid(
          clients().memory.createMemory({ scope: { user_id: "a\0" }, fact: "\0", topic: "t\0" }),
          'scope["user_id"]',
          "fact",
          "topic",
        );
        const { totalSize } = await clients().memory.listMemories({ scope: s });
        expect(totalSize).toBe(0);
      });

      it("returns the stored memory for a repeated request_id, and ALREADY_EXISTS for other content", async () => {
        const s = scope();
        const requestId = randomUUID();
        const first = await remember({ scope: s, fact: "f", requestId });
        const again = await remember({ scope: s, fact: "f", requestId });
        expect(again.id).toBe(first.id);
        await rejection(
          clients().memory.createMemory({ scope: s, fact: "other", requestId }),
          Code.AlreadyExists,
        );
        expect((await clients().memory.listMemories({ scope: s })).totalSize).toBe(1);
      });
    });

    describe("GetMemory", () => {
      it("returns a memory and counts the access after it answers", async () => {
        const memory = await remember({ scope: scope(), fact: "f" });
        const { memory: got } = await clients().memory.getMemory({ id: memory.id });
        expect(got?.fact).toBe("f");
        // The read does not see itself counted.
        expect(got?.accessCount).toBe(0n);
        await clients().memory.getMemory({ id: memory.id });
        const counted = await onceCounted(memory, (n) => n === 2n);
        expect(counted.lastAccessedAt).toBeDefined();
      });

      it("answers NOT_FOUND for an unknown, deleted or expired memory and INVALID_ARGUMENT for a malformed id", async () => {
        await rejection(clients().memory.getMemory({ id: unknownId }), Code.NotFound);
        await invalid(clients().memory.getMemory({ id: "nope" }), "id");
        const deleted = await remember({ scope: scope(), fact: "f" });
        await clients().memory.deleteMemory({ id: deleted.id });
        await rejection(clients().memory.getMemory({ id: deleted.id }), Code.NotFound);
        const expiring = await remember({ scope: scope(), fact: "f", ttlDays: 1 });
        fixture().advance(dayMs);
        await rejection(clients().memory.getMemory({ id: expiring.id }), Code.NotFound);
      });
    });

    describe("BatchGetMemories", () => {
      it("returns the memories in the order asked, repeats included", async () => {
        const s = scope();
        const a = await remember({ scope: s, fact: "a" });
        const b = await remember({ scope: s, fact: "b" });
        const { memories } = await clients().memory.batchGetMemories({ ids: [b.id, a.id, b.id] });
        expect(memories.map((m) => m.fact)).toEqual(["b", "a", "b"]);
      });

      it("fails as a whole with NOT_FOUND naming the missing id, counting no access", async () => {
        const memory = await remember({ scope: scope(), fact: "f" });
        const error = await rejection(
          clients().memory.batchGetMemories({ ids: [memory.id, unknownId] }),
          Code.NotFound,
        );
        expect(error.rawMessage).toContain(unknownId);
        // Counted with or after the failed call's, had it recorded any.
        await clients().memory.getMemory({ id: memory.id });
        const counted = await onceCounted(memory, (n) => n > 0n);
        expect(counted.accessCount).toBe(1n);
      });

      it("refuses no ids, more than 100, and a malformed one", async () => {
        await invalid(clients().memory.batchGetMemories({ ids: [] }), "ids");
        await invalid(
          clients().memory.batchGetMemories({ ids: Array.from({ length: 101 }, () => unknownId) }),
          "ids",
        );
        await invalid(clients().memory.batchGetMemories({ ids: [unknownId, "x"] }), "ids[1]");
      });
    });

    describe("ListMemories", () => {
      it("pages newest first within a topic, with total_size", async () => {
        const s = scope();
        const facts: string[] = [];
        for (let i = 0; i < 5; i++) {
          await remember({ scope: s, fact: `pref ${i}`, topic: "preferences" });
          facts.push(`pref ${i}`);
          await remember({ scope: s, fact: `other ${i}`, topic: "other" });
        }
        const seen: string[] = [];
        let pageToken = "";
        do {
          const page = await clients().memory.listMemories({
            scope: s,
            topic: "preferences",
            pageSize: 2,
            pageToken,
          });
          expect(page.totalSize).toBe(5);
          seen.push(...page.memories.map((m) => m.fact));
          pageToken = page.nextPageToken;
        } while (pageToken);
        expect(seen).toEqual(facts.reverse());
      });

      it("matches every scope entry given, and lists deleted memories only with include_deleted", async () => {
        const user = randomUUID();
        await remember({ scope: { user_id: user, org_id: "acme" }, fact: "in org" });
        const gone = await remember({ scope: { user_id: user }, fact: "deleted" });
        await clients().memory.deleteMemory({ id: gone.id });
        const inOrg = await clients().memory.listMemories({
          scope: { user_id: user, org_id: "acme" },
        });
        expect(inOrg.memories.map((m) => m.fact)).toEqual(["in org"]);
        expect((await clients().memory.listMemories({ scope: { user_id: user } })).totalSize).toBe(
          1,
        );
        const all = await clients().memory.listMemories({
          scope: { user_id: user },
          includeDeleted: true,
        });
        expect(all.memories.map((m) => m.fact)).toEqual(["deleted", "in org"]);
      });

      it("refuses an empty scope, page_size out of range and a token of another filter", async () => {
        await invalid(clients().memory.listMemories({}), "scope");
        await invalid(clients().memory.listMemories({ scope: scope(), pageSize: -1 }), "page_size");
        const s = scope();
        await remember({ scope: s, fact: "a" });
        await remember({ scope: s, fact: "b" });
        const { nextPageToken } = await clients().memory.listMemories({ scope: s, pageSize: 1 });
        await invalid(
          clients().memory.listMemories({
            scope: s,
            topic: "t",
            pageSize: 1,
            pageToken: nextPageToken,
          }),
          "page_token",
        );
      });
    });

    describe("SearchMemories", () => {
      it("ranks by cosine similarity among live memories of the same dimension", async () => {
        const s = scope();
        await remember({ scope: s, fact: "east", embedding: [1, 0, 0] });
        await remember({ scope: s, fact: "north-east", embedding: [1, 1, 0] });
        await remember({ scope: s, fact: "west", embedding: [-1, 0, 0] });
        await remember({ scope: s, fact: "no embedding" });
        await remember({ scope: s, fact: "other dimension", embedding: [1, 0] });
        const gone = await remember({ scope: s, fact: "deleted east", embedding: [1, 0, 0] });
        await clients().memory.deleteMemory({ id: gone.id });
        const { results } = await clients().memory.searchMemories({
          scope: s,
          queryEmbedding: [2, 0, 0],
        });
        expect(results.map((r) => r.memory?.fact)).toEqual(["east", "north-east", "west"]);
        expect(results.map((r) => r.similarityScore)).toEqual([
          1,
          expect.closeTo(Math.SQRT1_2, 6),
          -1,
        ]);
      });

      it("breaks a tie in favour of the older memory", async () => {
        const s = scope();
        const older = await remember({ scope: s, fact: "older", embedding: [0.6, 0.8] });
        const newer = await remember({ scope: s, fact: "newer", embedding: [0.6, 0.8] });
        const { results } = await clients().memory.searchMemories({
          scope: s,
          queryEmbedding: [0.6, 0.8],
          limit: 1,
        });
        expect(results.map((r) => r.memory?.id)).toEqual([older.id]);
        expect(results[0]?.similarityScore).toBeCloseTo(1, 6);
        expect(newer.id).not.toBe(older.id);
      });

      it("stores an embedding at float32 precision: below its range a value becomes 0", async () => {
        const memory = await remember({ scope: scope(), fact: "tiny", embedding: [1e-50, 0.1] });
        expect(memory.embedding).toEqual([0, Math.fround(0.1)]);
        const { memory: read } = await clients().memory.getMemory({ id: memory.id });
        expect(read?.embedding).toEqual([0, Math.fround(0.1)]);
      });

      it("applies topic, min_confidence and limit, and counts an access of each result", async () => {
        const s = scope();
        await remember({ scope: s, fact: "sure", topic: "t", embedding: [1, 0], confidence: 0.9 });
        await remember({
          scope: s,
          fact: "unsure",
          topic: "t",
          embedding: [1, 0],
          confidence: 0.2,
        });
        await remember({ scope: s, fact: "off topic", topic: "u", embedding: [1, 0] });
        const { results } = await clients().memory.searchMemories({
          scope: s,
          topic: "t",
          queryEmbedding: [1, 0],
          minConfidence: 0.5,
          limit: 1,
        });
        expect(results.map((r) => r.memory?.fact)).toEqual(["sure"]);
        const sure = results[0]?.memory ?? expect.fail("no result");
        await onceCounted(sure, (n) => n === 1n);
      });

      it("refuses a missing or zero query embedding, an empty scope and limits out of range", async () => {
        await invalid(
          clients().memory.searchMemories({ scope: {}, limit: 101, minConfidence: 2 }),
          "query_embedding",
          "scope",
          "limit",
          "min_confidence",
        );
        await invalid(
          clients().memory.searchMemories({ scope: scope(), queryEmbedding: [0, 0] }),
          "query_embedding",
        );
      });
    });

    describe("UpdateMemory", () => {
      it("changes the masked fields and records a revision when the fact changes", async () => {
        const memory = await remember({ scope: scope(), fact: "User prefers Python", topic: "t" });
        const { memory: updated } = await clients().memory.updateMemory({
          memory: { id: memory.id, fact: "User prefers Python and TypeScript", topic: "ignored" },
          updateMask: { paths: ["fact"] },
          changeReason: "User provided additional information",
        });
        expect(updated).toMatchObject({ fact: "User prefers Python and TypeScript", topic: "t" });
        const { revisions, totalSize } = await clients().memory.listMemoryRevisions({
          memoryId: memory.id,
        });
        expect(totalSize).toBe(1);
        expect(revisions[0]).toMatchObject({
          revisionNumber: 1,
          previousFact: "User prefers Python",
          newFact: "User prefers Python and TypeScript",
          changeReason: "User provided additional information",
        });
      });

      it("changes nothing more and records no revision when repeated", async () => {
        const memory = await remember({ scope: scope(), fact: "a" });
        const request = {
          memory: { id: memory.id, fact: "b", confidence: 0.5 },
          updateMask: { paths: ["fact", "confidence"] },
        };
        const first = await clients().memory.updateMemory(request);
        fixture().advance(1000);
        const again = await clients().memory.updateMemory(request);
        expect(again.memory?.updatedAt).toEqual(first.memory?.updatedAt);
        expect(
          (await clients().memory.listMemoryRevisions({ memoryId: memory.id })).totalSize,
        ).toBe(1);
      });

      it("clears a masked field left unset, but never the fact", async () => {
        const memory = await remember({ scope: scope(), fact: "a", topic: "t", embedding: [1] });
        const { memory: cleared } = await clients().memory.updateMemory({
          memory: { id: memory.id },
          updateMask: { paths: ["topic", "embedding"] },
        });
        expect(cleared).toMatchObject({ topic: "", embedding: [] });
        await invalid(
          clients().memory.updateMemory({
            memory: { id: memory.id },
            updateMask: { paths: ["fact"] },
          }),
          "memory.fact",
        );
      });

      it("refuses an empty or unknown mask path and out-of-range values", async () => {
        const memory = await remember({ scope: scope(), fact: "a" });
        await invalid(clients().memory.updateMemory({ memory: { id: memory.id } }), "update_mask");
        await invalid(
          clients().memory.updateMemory({
            memory: { id: memory.id, importance: 2 },
            updateMask: { paths: ["scope", "importance"] },
          }),
          "update_mask",
          "memory.importance",
        );
      });

      it("answers NOT_FOUND for an unknown or deleted memory", async () => {
        await rejection(
          clients().memory.updateMemory({
            memory: { id: unknownId, fact: "x" },
            updateMask: { paths: ["fact"] },
          }),
          Code.NotFound,
        );
      });
    });

    describe("DeleteMemory", () => {
      it("soft-deletes once: a repeat succeeds and keeps the first deleted_at", async () => {
        const memory = await remember({ scope: scope(), fact: "a" });
        const first = await clients().memory.deleteMemory({ id: memory.id, reason: "duplicate" });
        fixture().advance(1000);
        const again = await clients().memory.deleteMemory({ id: memory.id, reason: "other" });
        expect(first.memory?.deletedAt).toBeDefined();
        expect(first.memory?.deletionReason).toBe("duplicate");
        expect(again.memory?.deletedAt).toEqual(first.memory?.deletedAt);
        expect(again.memory?.deletionReason).toBe("duplicate");
        await rejection(
          clients().memory.listMemoryRevisions({ memoryId: memory.id }),
          Code.NotFound,
        );
      });

      it("answers NOT_FOUND for a memory that never existed, and refuses a reason over 1,000 characters", async () => {
        await rejection(clients().memory.deleteMemory({ id: unknownId }), Code.NotFound);
        const memory = await remember({ scope: scope(), fact: "a" });
        await invalid(
          clients().memory.deleteMemory({ id: memory.id, reason: "x".repeat(1001) }),
          "reason",
        );
      });
    });

    describe("ListMemoryRevisions and GetMemoryRevision", () => {
      it("keeps the newest 50 revisions and never reuses a number", async () => {
        const memory = await remember({ scope: scope(), fact: "v0" });
        for (let i = 1; i <= 53; i++) {
          await clients().memory.updateMemory({
            memory: { id: memory.id, fact: `v${i}` },
            updateMask: { paths: ["fact"] },
          });
        }
        const first = await clients().memory.listMemoryRevisions({
          memoryId: memory.id,
          pageSize: 30,
        });
        const rest = await clients().memory.listMemoryRevisions({
          memoryId: memory.id,
          pageSize: 30,
          pageToken: first.nextPageToken,
        });
        const numbers = [...first.revisions, ...rest.revisions].map((r) => r.revisionNumber);
        expect(first.totalSize).toBe(50);
        expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => 53 - i));
        const { revision } = await clients().memory.getMemoryRevision({
          memoryId: memory.id,
          revisionNumber: 53,
        });
        expect(revision).toMatchObject({ previousFact: "v52", newFact: "v53" });
        await rejection(
          clients().memory.getMemoryRevision({ memoryId: memory.id, revisionNumber: 3 }),
          Code.NotFound,
        );
      });

      it("refuses revision_number 0 and answers NOT_FOUND for an unknown memory", async () => {
        const memory = await remember({ scope: scope(), fact: "a" });
        await invalid(
          clients().memory.getMemoryRevision({ memoryId: memory.id, revisionNumber: 0 }),
          "revision_number",
        );
        await rejection(
          clients().memory.getMemoryRevision({ memoryId: unknownId, revisionNumber: 1 }),
          Code.NotFound,
        );
        await rejection(
          clients().memory.listMemoryRevisions({ memoryId: unknownId }),
          Code.NotFound,
        );
      });
    });
  });
});
