// Where compression starts to pay: for messages of this API at sizes around the candidate
// thresholds, what gzip saves and what it costs, as the transports run it (src/transport/
// compression.ts: level 1, zlib's thread pool, one message at a time). The measurement behind
// compressMinBytes' default, 8 KiB (docs/compression.md). A few seconds; keep the machine idle.
//
//   npx tsx bench/compression-threshold.ts
//
// Payloads: CreateEvent requests whose `data` holds prose of 100 B to 6 KB (the documentation's
// own sentences), a memory without and with a 1536-float embedding (normal draws, unit length, as
// a model's), a page of 20 events and one of 100 memories; each in protobuf and as JSON. Cost: the
// CPU of this process, all threads, over a loop of gzip then gunzip, divided by the loop's count
// (the least of five such loops).

import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { create, type DescMessage, toBinary, toJsonString } from "@bufbuild/protobuf";
import {
  BatchGetMemoriesResponseSchema,
  MemorySchema,
} from "../gen/contextiq/memory/v1/memory_pb.js";
import {
  CreateEventRequestSchema,
  ListEventsResponseSchema,
} from "../gen/contextiq/sessions/v1/sessions_pb.js";
import { gunzipWithin, gzip } from "../src/transport/compression.js";
import { mulberry32 } from "../test/support/mulberry32.js";
import { facts, realisticEmbedding } from "./compression/page-of-memories.js";

const gzipAtLevel = promisify(gzipCallback);
const next = mulberry32(8192);
const prose = readFileSync(new URL("../docs/reliability.md", import.meta.url), "utf8")
  .replace(/```[\s\S]*?```/g, "")
  .replace(/\s+/g, " ");
const sessionId = "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11";
const text = (length: number) => {
  const at = Math.floor(next() * (prose.length - length));
  return prose.slice(at, at + length);
};
const event = (chars: number) => ({
  sessionId,
  eventType: "message",
  data: { role: "user", content: text(chars) },
  inputTokens: 42,
  outputTokens: 7,
});
const memory = (withEmbedding: boolean) => ({
  id: "8f3d2a71-4c6e-4b9a-a2d5-7e1f0c9b3a42",
  scope: { user_id: "user-0001" },
  fact: facts[0] ?? "",
  topic: "preferences",
  confidence: 0.9,
  importance: 0.7,
  embedding: withEmbedding ? realisticEmbedding(next) : [],
});

const payloads: [string, DescMessage, object][] = [
  ...[100, 400, 900, 1_800, 3_500, 7_000].map((chars): [string, DescMessage, object] => [
    `event, ${chars} chars of prose`,
    CreateEventRequestSchema,
    event(chars),
  ]),
  ["memory, no embedding", MemorySchema, memory(false)],
  ["memory, 1536 floats", MemorySchema, memory(true)],
  [
    "page of 20 events",
    ListEventsResponseSchema,
    { events: Array.from({ length: 20 }, () => ({ ...event(300), id: sessionId })) },
  ],
  [
    "page of 100 memories",
    BatchGetMemoriesResponseSchema,
    { memories: Array.from({ length: 100 }, () => memory(true)) },
  ],
];

/**
 * CPU µs per round of `round`, all threads: the least of five stretches of at least `minMs` of
 * rounds one after another. Other work on a shared machine only ever adds to a stretch (cache
 * misses, a thread pool that waits for a core), so the least is the closest to the cost itself.
 */
async function cpuPerRound(round: () => Promise<unknown>, minMs: number): Promise<number> {
  for (let i = 0; i < 20; i++) await round();
  const stretches: number[] = [];
  for (let stretch = 0; stretch < 5; stretch++) {
    const before = process.cpuUsage();
    const start = performance.now();
    let rounds = 0;
    while (performance.now() - start < minMs) {
      await round();
      rounds++;
    }
    const used = process.cpuUsage(before);
    stretches.push((used.user + used.system) / rounds);
  }
  return Math.min(...stretches);
}

/** Both directions once over every payload, for a second, so that the first rows run optimised. */
async function warmUp(messages: readonly Uint8Array[]): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < 1_000) {
    for (const bytes of messages) {
      if (bytes.byteLength < 100_000) await gunzipWithin(await gzip(bytes), bytes.byteLength);
    }
  }
}

await warmUp(payloads.map(([, schema, init]) => toBinary(schema, create(schema, init as never))));
const rows = [
  "| payload | format | bytes | gzipped | saved | gzip + gunzip, CPU µs | µs per KB saved | level 6: bytes, gzip µs |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
for (const [name, schema, init] of payloads) {
  const message = create(schema, init as never);
  for (const format of ["protobuf", "JSON"] as const) {
    const bytes =
      format === "protobuf"
        ? toBinary(schema, message)
        : Buffer.from(toJsonString(schema, message));
    const compressed = await gzip(bytes);
    const minMs = bytes.byteLength > 1_000_000 ? 1_000 : 200;
    const cost = await cpuPerRound(
      async () => gunzipWithin(await gzip(bytes), bytes.byteLength),
      minMs,
    );
    const level6 = await gzipAtLevel(bytes, { level: 6 });
    const level6Cost = await cpuPerRound(() => gzipAtLevel(bytes, { level: 6 }), minMs);
    const saved = bytes.byteLength - compressed.byteLength;
    const perKb = saved > 0 ? (cost / saved) * 1024 : Number.POSITIVE_INFINITY;
    rows.push(
      `| ${name} | ${format} | ${bytes.byteLength} | ${compressed.byteLength} | ${((100 * saved) / bytes.byteLength).toFixed(0)}% | ${cost.toFixed(0)} | ${Number.isFinite(perKb) ? perKb.toFixed(0) : "-"} | ${level6.byteLength}, ${level6Cost.toFixed(0)} |`,
    );
  }
}
process.stdout.write(`${rows.join("\n")}\n`);
