// `contextiq memories`, run as a child process against real services: create, list, search,
// update, revisions and delete, as a script would chain them through --json.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { json, useServicesForCli } from "./run-cli.js";

const { cli } = useServicesForCli();

describe("contextiq memories", { timeout: 30_000 }, () => {
  it("creates, lists, searches, updates, lists revisions of and deletes a memory", async () => {
    const scope = `user_id=${randomUUID()}`;
    const created = json(
      await cli(
        ...["memories", "create", "--scope", scope, "--fact", "User prefers Python"],
        ...["--topic", "preferences", "--source", "extracted", "--confidence", "0.9"],
        ...["--importance", "0.7", "--embedding", "0.1,0.7,0.2", "--json"],
      ),
    );
    expect(created).toMatchObject({
      fact: "User prefers Python",
      topic: "preferences",
      sourceType: "SOURCE_TYPE_EXTRACTED",
      confidence: 0.9,
      importance: 0.7,
    });
    const id = String(created["id"]);

    const [table, found] = await Promise.all([
      cli("memories", "list", "--scope", scope),
      cli(...["memories", "search", "--scope", scope, "--embedding", "0.1,0.6,0.3"], "--json"),
    ]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.split("\n");
    expect(header?.split(/\s{2,}/)).toEqual([
      "ID",
      "FACT",
      "TOPIC",
      "SOURCE",
      "CONFIDENCE",
      "IMPORTANCE",
      "CREATED",
    ]);
    expect(row).toMatch(
      new RegExp(
        `^${id}\\s+User prefers Python\\s+preferences\\s+extracted\\s+0\\.90\\s+0\\.70\\s`,
      ),
    );
    const [best] = json<{ memory: { id: string }; similarityScore: number }[]>(found);
    expect(best?.memory.id).toBe(id);
    expect(best?.similarityScore).toBeGreaterThan(0.9);

    // The rest in turn: each depends on the one before (a deleted memory's revisions are NOT_FOUND).
    const updated = await cli(
      ...["memories", "update", id, "--fact", "User prefers Python and TypeScript"],
      ...["--reason", "said so", "--json"],
    );
    expect(json(updated)).toMatchObject({ id, fact: "User prefers Python and TypeScript" });

    const revisions = await cli("memories", "revisions", id, "--json");
    expect(json<unknown[]>(revisions)).toEqual([
      expect.objectContaining({
        revisionNumber: 1,
        previousFact: "User prefers Python",
        newFact: "User prefers Python and TypeScript",
        changeReason: "said so",
      }),
    ]);
    const deleted = await cli("memories", "delete", id, "--json");
    expect(json(deleted)).toMatchObject({ id, deletedAt: expect.any(String) });
  });
});
