// Throughput and latency of the reference services: creates per second through each protocol,
// and exact similarity search latency as the number of memories in a scope grows.
//
//   npm run bench:server -- [--duration 5] [--concurrency 16] [--sizes 1000,10000] [--only creates|search]
//
// Client and server share this process (and the machine's 2 cores), so the figures are a floor
// for the server alone; compare rows of one run with each other rather than across runs.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { MemoryService } from "../gen/contextiq/memory/v1/memory_pb.js";
import { SessionSchema, SessionsService } from "../gen/contextiq/sessions/v1/sessions_pb.js";
import { startServices } from "../src/server/index.js";
import { SqliteSessionsStore } from "../src/server/store/sqlite/sessions-store.js";

const usage = `usage: npm run bench:server -- [--duration S] [--concurrency N] [--sizes N,N] [--only creates|search]`;
const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    concurrency: { type: "string", default: "16" },
    sizes: { type: "string", default: "1000,10000,30000" },
    dimensions: { type: "string", default: "1536" },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const durationMs = Number(args.duration) * 1000;
const concurrency = Number(args.concurrency);
const sizes = args.sizes.split(",").map(Number);
const dimensions = Number(args.dimensions);

interface Protocol {
  name: string;
  make(baseUrl: string): { transport: Transport; close(): void };
}

const protocols: Protocol[] = [
  {
    name: "Connect JSON, HTTP/1.1",
    make(baseUrl) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const transport = createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        nodeOptions: { agent },
      });
      return { transport, close: () => agent.destroy() };
    },
  },
  {
    name: "Connect binary, HTTP/2",
    make(baseUrl) {
      const sessionManager = new Http2SessionManager(baseUrl);
      const transport = createConnectTransport({
        baseUrl,
        httpVersion: "2",
        useBinaryFormat: true,
        sessionManager,
      });
      return { transport, close: () => sessionManager.abort() };
    },
  },
  {
    name: "gRPC, HTTP/2",
    make(baseUrl) {
      const sessionManager = new Http2SessionManager(baseUrl);
      return {
        transport: createGrpcTransport({ baseUrl, sessionManager }),
        close: () => sessionManager.abort(),
      };
    },
  },
];

/** Runs `call` from `concurrency` loops for `durationMs`; returns calls per second. */
async function throughput(call: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + durationMs;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await call();
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

const dataDir = await mkdtemp(join(tmpdir(), "contextiq-bench-"));
const services = await startServices({ dataDir });
try {
  if (args.only === undefined || args.only === "creates") {
    console.log(
      `\nCreates through the server (SQLite file, WAL), ${concurrency} concurrent callers, ${args.duration} s each`,
    );
    console.log("| protocol | CreateSession/s | CreateEvent/s |\n|---|---:|---:|");
    for (const protocol of protocols) {
      const { transport, close } = protocol.make(services.sessionsUrl);
      const sessions = createClient(SessionsService, transport);
      const scope = { user_id: randomUUID() };
      const created = await throughput(() =>
        sessions.createSession({ scope, title: "bench", requestId: randomUUID() }),
      );
      const { session } = await sessions.createSession({ scope, ttlSeconds: 86_400 });
      const sessionId = session?.id ?? "";
      const events = await throughput(() =>
        sessions.createEvent({
          sessionId,
          eventType: "message",
          data: { content: "Hello, this is a benchmark message." },
          inputTokens: 12,
          requestId: randomUUID(),
        }),
      );
      console.log(`| ${protocol.name} | ${created.toFixed(0)} | ${events.toFixed(0)} |`);
      close();
    }
  }

  if (args.only === undefined || args.only === "creates") {
    // The same creates straight into a SQLite store, without RPC: what the wire and the handlers add.
    const store = new SqliteSessionsStore(join(dataDir, "store-only.db"));
    const scope = { user_id: randomUUID() };
    const rate = await throughput(async () => {
      const now = Date.now();
      await store.createSession(
        create(SessionSchema, {
          id: randomUUID(),
          scope,
          title: "bench",
          state: {},
          startedAt: timestampFromMs(now),
          lastActivityAt: timestampFromMs(now),
          ttlSeconds: 3600,
        }),
        { requestId: randomUUID(), fingerprint: "bench" },
        now,
      );
    });
    console.log(`| store alone, no RPC | ${rate.toFixed(0)} | |`);
    await store.close();
  }

  if (args.only === undefined || args.only === "search") {
    console.log(
      `\nSearchMemories (exact cosine, ${dimensions} dimensions, gRPC), latency by scope size`,
    );
    console.log("| memories in scope | p50 ms | p95 ms |\n|---:|---:|---:|");
    const grpc = protocols[2] as Protocol;
    const { transport, close } = grpc.make(services.memoryUrl);
    const memory = createClient(MemoryService, transport);
    const scope = { user_id: randomUUID() };
    const vector = () => Array.from({ length: dimensions }, () => Math.random() - 0.5);
    let stored = 0;
    for (const size of sizes) {
      const queue = Array.from({ length: size - stored }, (_, i) => i);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (queue.pop() !== undefined) {
            await memory.createMemory({ scope, fact: "benchmark fact", embedding: vector() });
          }
        }),
      );
      stored = size;
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const start = performance.now();
        await memory.searchMemories({ scope, queryEmbedding: vector(), limit: 10 });
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      console.log(
        `| ${size} | ${percentile(times, 0.5).toFixed(1)} | ${percentile(times, 0.95).toFixed(1)} |`,
      );
    }
    close();
  }
} finally {
  await services.close();
  await rm(dataDir, { recursive: true, force: true });
}
