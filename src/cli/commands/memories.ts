import { Command, Option } from "commander";
import type { MemoryChanges, SourceTypeInput } from "../../client/memory-client.js";
import { memoryClient } from "../clients.js";
import { defined } from "../defined.js";
import { examples } from "../help.js";
import type { CliIo } from "../io.js";
import {
  memoriesTable,
  memoryDetails,
  memoryJson,
  revisionJson,
  revisionsTable,
  scoredJson,
  searchTable,
} from "../memory-views.js";
import { parseEmbedding, parseInteger, parseNumber, parseText } from "../parse-options.js";
import { printResult } from "../print.js";
import { scopeOption } from "../scope-option.js";
import { textEmbedding } from "../text-embedding.js";

interface CreateOptions {
  scope: Record<string, string>;
  fact: string;
  topic?: string;
  source?: Exclude<SourceTypeInput, number>;
  sourceId?: string;
  confidence?: number;
  importance?: number;
  embedding?: number[];
  ttlDays?: number;
}

interface SearchOptions {
  scope: Record<string, string>;
  text?: string;
  embedding?: number[];
  topic?: string;
  limit?: number;
  minConfidence?: number;
  exact?: boolean;
}

interface UpdateOptions {
  fact?: string;
  topic?: string;
  embedding?: number[];
  confidence?: number;
  importance?: number;
  reason?: string;
}

const exampleId = "0b6c2f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";

/** `contextiq memories ...`: memories, their revisions and similarity search, on the Memory service. */
export function memoriesCommand(io: CliIo): Command {
  const memories = new Command("memories").description(
    "create, show, list, search, update and delete memories (Memory service; --url or MEMORY_SERVICE_URL)",
  );

  memories
    .command("create")
    .description("create a memory and print it")
    .addOption(scopeOption("who the memory is about", { required: true }))
    .requiredOption("--fact <fact>", "the fact, 1-10,000 characters (required)")
    .option("--topic <topic>", "what it is about, at most 200 characters")
    .addOption(
      new Option("--source <kind>", "where it came from (service default: direct)").choices([
        "extracted",
        "consolidated",
        "direct",
      ]),
    )
    .option("--source-id <uuid>", "what it came from, e.g. a session id")
    .addOption(
      new Option("--confidence <0-1>", "how sure (service default 1)").argParser(parseNumber),
    )
    .addOption(
      new Option("--importance <0-1>", "how much it matters (default 0.5)").argParser(parseNumber),
    )
    .addOption(
      new Option("--embedding <numbers>", "for similarity search, e.g. 0.1,0.2,0.3").argParser(
        parseEmbedding,
      ),
    )
    .addOption(
      new Option("--ttl-days <days>", "days until it expires, 1-730 (default 365)").argParser(
        parseInteger,
      ),
    )
    .addHelpText(
      "after",
      examples(
        `memories create --scope user_id=123 --fact "User prefers Python" --topic preferences`,
        `memories create --scope user_id=123 --fact "Lives in Lyon" --source extracted --confidence 0.9 --embedding 0.1,0.7,0.2 --json`,
      ),
    )
    .action(async (options: CreateOptions, command: Command) => {
      await using client = memoryClient(command, io);
      const memory = await client.createMemory({
        scope: options.scope,
        fact: options.fact,
        ...defined({
          topic: options.topic,
          sourceType: options.source,
          sourceId: options.sourceId,
          confidence: options.confidence,
          importance: options.importance,
          embedding: options.embedding,
          ttlDays: options.ttlDays,
        }),
      });
      printResult(io, command, {
        json: () => memoryJson(memory),
        text: () => memoryDetails(memory),
      });
    });

  memories
    .command("get")
    .description("print a memory (and count the access)")
    .argument("<id>", "the memory's id")
    .addHelpText("after", examples(`memories get ${exampleId} --json`))
    .action(async (id: string, _options: unknown, command: Command) => {
      await using client = memoryClient(command, io);
      const memory = await client.getMemory(id);
      printResult(io, command, {
        json: () => memoryJson(memory),
        text: () => memoryDetails(memory),
      });
    });

  memories
    .command("list")
    .description("list the memories of a scope, newest first")
    .addOption(scopeOption("memories whose scope holds all these entries", { required: true }))
    .option("--topic <topic>", "only memories of this topic")
    .option("--include-deleted", "include deleted and expired memories")
    .addHelpText(
      "after",
      examples(
        "memories list --scope user_id=123 --topic preferences",
        "memories list --scope user_id=123 --include-deleted --json",
      ),
    )
    .action(
      async (
        options: { scope: Record<string, string>; topic?: string; includeDeleted?: boolean },
        command: Command,
      ) => {
        await using client = memoryClient(command, io);
        const found = await client.listMemories({
          scope: options.scope,
          ...defined({ topic: options.topic, includeDeleted: options.includeDeleted }),
        });
        printResult(io, command, {
          json: () => found.map(memoryJson),
          text: () => memoriesTable(found, { deleted: options.includeDeleted ?? false }),
        });
      },
    );

  memories
    .command("search")
    .description(
      "the memories of a scope most similar to a text or an embedding, most similar first",
    )
    .addOption(scopeOption("memories whose scope holds all these entries", { required: true }))
    .addOption(
      new Option(
        "--text <text>",
        "the text to search for, embedded as the workers embed facts: it finds facts that share its words (this or --embedding)",
      )
        .argParser(parseText)
        .conflicts("embedding"),
    )
    .addOption(
      new Option(
        "--embedding <numbers>",
        "the query embedding, e.g. 0.1,0.2,0.3 (this or --text)",
      ).argParser(parseEmbedding),
    )
    .option("--topic <topic>", "only memories of this topic")
    .addOption(
      new Option("--limit <n>", "at most this many results, 1-100 (default 10)").argParser(
        parseInteger,
      ),
    )
    .addOption(
      new Option("--min-confidence <0-1>", "only memories at least this confident").argParser(
        parseNumber,
      ),
    )
    .option("--exact", "rank every candidate, not the server's approximate index: slower")
    .addHelpText(
      "after",
      examples(
        `memories search --scope user_id=123 --text "dark mode"`,
        "memories search --scope user_id=123 --embedding 0.1,0.6,0.3 --limit 5 --exact",
      ),
    )
    .action(async (options: SearchOptions, command: Command) => {
      const queryEmbedding = options.text ? await textEmbedding(options.text) : options.embedding;
      if (queryEmbedding === undefined) {
        command.error(
          "error: give one of --text (the text to search for) or --embedding (the query embedding)",
          { exitCode: 2, code: "contextiq.noQuery" },
        );
      }
      await using client = memoryClient(command, io);
      const results = await client.searchMemories({
        scope: options.scope,
        queryEmbedding,
        ...defined({
          topic: options.topic,
          limit: options.limit,
          minConfidence: options.minConfidence,
          exact: options.exact,
        }),
      });
      printResult(io, command, {
        json: () => results.map(scoredJson),
        text: () => searchTable(results),
      });
    });

  memories
    .command("update")
    .description("change fields of a memory and print it; a changed fact records a revision")
    .argument("<id>", "the memory's id")
    .option("--fact <fact>", "the new fact")
    .option("--topic <topic>", 'the new topic ("" clears it)')
    .addOption(new Option("--embedding <numbers>", "the new embedding").argParser(parseEmbedding))
    .addOption(new Option("--confidence <0-1>", "the new confidence").argParser(parseNumber))
    .addOption(new Option("--importance <0-1>", "the new importance").argParser(parseNumber))
    .option("--reason <text>", "why, recorded with the revision (at most 1000 characters)")
    .addHelpText(
      "after",
      examples(`memories update ${exampleId} --fact "User prefers TypeScript" --reason "said so"`),
    )
    .action(async (id: string, options: UpdateOptions, command: Command) => {
      const changes: MemoryChanges = defined({
        fact: options.fact,
        topic: options.topic,
        embedding: options.embedding,
        confidence: options.confidence,
        importance: options.importance,
      });
      if (Object.keys(changes).length === 0) {
        command.error(
          "error: nothing to update: give at least one of --fact, --topic, --embedding, --confidence, --importance",
          { exitCode: 2, code: "contextiq.nothingToUpdate" },
        );
      }
      await using client = memoryClient(command, io);
      const memory = await client.updateMemory(id, {
        ...changes,
        ...defined({ changeReason: options.reason }),
      });
      printResult(io, command, {
        json: () => memoryJson(memory),
        text: () => memoryDetails(memory),
      });
    });

  memories
    .command("delete")
    .description("delete a memory (soft: repeats keep the first deletion time) and print it")
    .argument("<id>", "the memory's id")
    .addHelpText("after", examples(`memories delete ${exampleId}`))
    .action(async (id: string, _options: unknown, command: Command) => {
      await using client = memoryClient(command, io);
      const memory = await client.deleteMemory(id);
      printResult(io, command, {
        json: () => memoryJson(memory),
        text: () => memoryDetails(memory),
      });
    });

  memories
    .command("revisions")
    .description("list the revisions of a memory's fact, newest first")
    .argument("<id>", "the memory's id")
    .addHelpText("after", examples(`memories revisions ${exampleId} --json`))
    .action(async (id: string, _options: unknown, command: Command) => {
      await using client = memoryClient(command, io);
      const revisions = await client.listMemoryRevisions(id);
      printResult(io, command, {
        json: () => revisions.map(revisionJson),
        text: () => revisionsTable(revisions),
      });
    });

  return memories;
}
