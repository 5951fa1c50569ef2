// What gzip costs and saves on the largest answer the clients read: a page of 100 memories with
// 1536-float embeddings (BatchGetMemories), from the reference services in a child process, by
// the facade on each transport with compression at its default threshold and off. Bytes on the
// wire per call (a counting TCP relay), CPU per call of the client's process and of the server's
// (/proc), median latency. Written to bench/results/compression.md. One call at a time: CPU per
// call is the figure; keep the machine otherwise idle.
//
//   npm run bench:compression [-- --calls 30 --warmup 5 --out DIR]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureVariant, type Variant, type VariantResult } from "./compression/measure-variant.js";
import { pageMemoryCount, seedPageOfMemories } from "./compression/page-of-memories.js";
import { killChildrenOnExit } from "./harness/children.js";
import { defaultOutDir } from "./harness/paths.js";
import { formatWithBiome } from "./harness/report/biome-format.js";
import { removeDataDirs, startServerProcess } from "./harness/server-process.js";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    out: { type: "string", default: defaultOutDir },
  },
});
const calls = Number(values.calls);
const warmupCalls = Number(values.warmup);
if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(warmupCalls) || warmupCalls < 0) {
  throw new Error("--calls must be a whole number of at least 1, --warmup of at least 0");
}

const variants: Variant[] = (
  [
    { transport: "grpc", httpVersion: "2" },
    { transport: "json", httpVersion: "1.1" },
    { transport: "json", httpVersion: "2" },
  ] as const
).flatMap((wire) => [
  { ...wire, compressed: false },
  { ...wire, compressed: true },
]);

killChildrenOnExit(removeDataDirs);
const server = await startServerProcess("reference");
const results: VariantResult[] = [];
try {
  process.stderr.write(`seeding ${pageMemoryCount} memories\n`);
  const ids = await seedPageOfMemories(server.memoryUrl);
  for (const variant of variants) {
    process.stderr.write(`measuring ${describe(variant)}\n`);
    results.push(
      await measureVariant(variant, {
        memoryUrl: server.memoryUrl,
        serverPid: server.pid,
        ids,
        calls,
        warmupCalls,
      }),
    );
  }
} finally {
  await server.stop();
}

function describe(variant: Variant): string {
  const wire = variant.transport === "grpc" ? "grpc" : `json over HTTP/${variant.httpVersion}`;
  return `${wire}, ${variant.compressed ? "gzip from 8 KiB" : "no compression"}`;
}

const whole = (n: number) => Math.round(n).toLocaleString("en-US");
const lines = [
  `# Compression: a page of ${pageMemoryCount} memories with 1536-float embeddings`,
  "",
  `BatchGetMemories of ${pageMemoryCount} ids from the reference services (SQLite), by the facade,`,
  `${calls} calls one at a time after ${warmupCalls} of warm-up. See bench/README.md.`,
  "",
  "| transport | compression | bytes down / call | bytes up / call | client CPU µs / call | server CPU µs / call | p50 ms |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...results.map((r) => {
    const [wire, compression] = describe(r).split(", ");
    const server = r.serverCpuUs === undefined ? "n/a" : whole(r.serverCpuUs);
    return `| ${wire} | ${compression} | ${whole(r.bytesDown)} | ${whole(r.bytesUp)} | ${whole(r.clientCpuUs)} | ${server} | ${r.p50Ms.toFixed(1)} |`;
  }),
  "",
];
const markdown = lines.join("\n");
process.stdout.write(markdown);
await mkdir(values.out, { recursive: true });
await writeFile(
  join(values.out, "compression.md"),
  await formatWithBiome(markdown, "compression.md"),
);
process.exit(0);
