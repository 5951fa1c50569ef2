import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallEvent, TransportKind } from "../index.js";
import { MemoryServiceClient, SessionsServiceClient } from "../index.js";
import {
  ConsolidationWorker,
  HashingEmbeddingService,
  MemoryGenerationWorker,
} from "../workers/index.js";
import { textEmbedding } from "./text-embedding.js";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Keep the services' data here. Defaults to a temporary folder, removed at the end. */
  readonly dataDir?: string | undefined;
  /** Where the demo writes what it does, a line at a time. */
  readonly out: (line: string) => void;
}

/** What one transport's pass of the demo did. */
export interface DemoPass {
  readonly transport: TransportKind;
  readonly sessions: number;
  readonly events: number;
  readonly memoriesExtracted: number;
  readonly memoriesConsolidated: number;
  readonly originalsDeleted: number;
  readonly calls: number;
  readonly retries: number;
  readonly p50Ms: number;
}

// A short conversation in which the user states a name, a workplace and preferences.
// The demo then searches for `query`, which shares words with one of them.
const conversation: [role: "user" | "assistant", content: string][] = [
  ["user", "Hi! My name is Ada. I work at Contoso."],
  ["assistant", "Nice to meet you, Ada. How can I help?"],
  ["user", "I prefer Python for scripting. I like dark mode in every editor."],
  ["assistant", "Noted: Python and dark mode."],
  ["user", "I live in Lisbon, by the way."],
];
const query = "python scripting";

/**
 * The whole flow on one machine: starts the reference services, writes a sample conversation,
 * runs the memory-generation and consolidation workers over it and searches what they stored by
 * text, once over gRPC and once over JSON, saying what each step did. Resolves with a pass per
 * transport.
 */
export async function runDemo({ dataDir, out }: DemoOptions): Promise<DemoPass[]> {
  const folder = dataDir ?? (await mkdtemp(join(tmpdir(), "contextiq-demo-")));
  const passes: DemoPass[] = [];
  try {
    // Loaded here, not at the top: other commands need neither the server nor SQLite.
    const { startServices } = await import("../server/index.js");
    await using services = await startServices({ dataDir: folder });
    out(`Services: sessions ${services.sessionsUrl}, memory ${services.memoryUrl}`);
    out(`Data: ${folder}${dataDir ? "" : " (temporary)"}`);
    for (const transport of ["grpc", "json"] as const) {
      passes.push(await demoPass(transport, services, out));
    }
  } finally {
    // After the services closed their databases.
    if (!dataDir) await rm(folder, { recursive: true, force: true });
  }
  out("");
  out(table(passes));
  return passes;
}

async function demoPass(
  transport: TransportKind,
  services: { sessionsUrl: string; memoryUrl: string },
  out: (line: string) => void,
): Promise<DemoPass> {
  const durations: number[] = [];
  let retries = 0;
  const options = {
    transport,
    onCall: (event: CallEvent) => durations.push(event.durationMs),
    onRetry: () => retries++,
    env: {},
  };
  await using sessions = new SessionsServiceClient({ ...options, baseUrl: services.sessionsUrl });
  await using memory = new MemoryServiceClient({ ...options, baseUrl: services.memoryUrl });
  const scope = { user_id: `demo-${transport}` };
  out("");
  out(`== over ${transport}`);

  const session = await sessions.createSession({ scope, title: "Demo conversation" });
  for (const [role, content] of conversation) {
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { role, content },
      inputTokens: role === "user" ? content.length : 0,
      outputTokens: role === "assistant" ? content.length : 0,
    });
  }
  await sessions.endSession(session.id);
  out(`session ${session.id}: ${conversation.length} events written, session ended`);

  // The workers embed facts with the service `contextiq memories search --text` embeds texts with.
  const embeddings = new HashingEmbeddingService();
  const generation = await new MemoryGenerationWorker({ sessions, memory, embeddings }).generate(
    session.id,
  );
  out(
    `memory generation: ${generation.eventsRead} events read, ${generation.memoriesCreated} memories`,
  );
  for (const m of generation.memories) out(`  [${m.topic}] ${m.fact}`);

  // Facts said again in other words, as a second conversation would leave them.
  for (const fact of ["User prefers python.", "The user prefers Python"]) {
    await memory.createMemory({ scope, fact, topic: "preferences", sourceType: "direct" });
  }
  const consolidation = await new ConsolidationWorker({ memory, embeddings }).consolidate(scope);
  out(
    `consolidation: ${consolidation.memoriesRead} memories read, ${consolidation.groups} group(s), ${consolidation.originalsDeleted} originals replaced`,
  );
  for (const m of consolidation.consolidated) out(`  [${m.topic}] ${m.fact} (consolidated)`);

  const [best] = await memory.searchMemories({
    scope,
    queryEmbedding: await textEmbedding(query),
    limit: 1,
  });
  const found = best?.memory
    ? `${best.memory.fact} (similarity ${best.similarityScore.toFixed(2)})`
    : "nothing found";
  out(`search by text "${query}": ${found}`);

  durations.sort((a, b) => a - b);
  return {
    transport,
    sessions: 1,
    events: conversation.length,
    memoriesExtracted: generation.memoriesCreated,
    memoriesConsolidated: consolidation.consolidated.length,
    originalsDeleted: consolidation.originalsDeleted,
    calls: durations.length,
    retries,
    p50Ms: durations[Math.floor(durations.length / 2)] ?? Number.NaN,
  };
}

function table(passes: readonly DemoPass[]): string {
  const rows = [
    ["transport", "sessions", "events", "extracted", "consolidated", "calls", "retries", "p50 ms"],
    ...passes.map((p) => [
      p.transport,
      String(p.sessions),
      String(p.events),
      String(p.memoriesExtracted),
      `${p.memoriesConsolidated} (from ${p.originalsDeleted})`,
      String(p.calls),
      String(p.retries),
      p.p50Ms.toFixed(1),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}
