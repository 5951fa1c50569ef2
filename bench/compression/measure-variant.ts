/**
 * One row of the compression benchmark: a facade client on one transport, compression on or off,
 * reading the page of 100 memories (BatchGetMemories) again and again. CPU is measured on direct
 * calls (this process's, and the server's from /proc); bytes on calls of their own through a
 * counting relay, whose own CPU would otherwise count as the client's.
 */
import { MemoryServiceClient, type TransportKind } from "../../src/index.js";
import { startCountingRelay } from "../../test/support/counting-relay.js";
import { processCpuUs } from "./process-cpu.js";

/** What is measured: a transport, and compression on (the default threshold) or off. */
export interface Variant {
  readonly transport: TransportKind;
  readonly httpVersion: "1.1" | "2";
  readonly compressed: boolean;
}

export interface VariantResult extends Variant {
  /** Bytes the client received and sent per call, as the relay counted them. */
  readonly bytesDown: number;
  readonly bytesUp: number;
  /** CPU per call of the client's process, and of the server's (undefined without /proc). */
  readonly clientCpuUs: number;
  readonly serverCpuUs: number | undefined;
  /** Median wall time of a call, in ms. */
  readonly p50Ms: number;
}

export interface MeasureOptions {
  readonly memoryUrl: string;
  readonly serverPid: number | undefined;
  readonly ids: readonly string[];
  readonly calls: number;
  readonly warmupCalls: number;
}

/** Measures `variant`: a warm-up, `calls` direct calls for CPU, then `calls` relayed for bytes. */
export async function measureVariant(
  variant: Variant,
  options: MeasureOptions,
): Promise<VariantResult> {
  const clientFor = (baseUrl: string) =>
    new MemoryServiceClient({
      baseUrl,
      transport: variant.transport,
      ...(variant.transport === "json" ? { httpVersion: variant.httpVersion } : {}),
      ...(variant.compressed ? {} : { compressMinBytes: false }),
      env: {},
    });
  const ids = [...options.ids];
  const readPage = async (client: MemoryServiceClient) => {
    const memories = await client.batchGetMemories(ids);
    if (memories.length !== ids.length || memories[0]?.embedding.length !== 1536) {
      throw new Error(`a page of ${memories.length} memories, not ${ids.length} with embeddings`);
    }
  };

  const durations: number[] = [];
  let clientCpuUs: number;
  let serverCpuUs: number | undefined;
  {
    await using client = clientFor(options.memoryUrl);
    for (let i = 0; i < options.warmupCalls; i++) await readPage(client);
    const serverBefore = processCpuUs(options.serverPid);
    const before = process.cpuUsage();
    for (let i = 0; i < options.calls; i++) {
      const start = performance.now();
      await readPage(client);
      durations.push(performance.now() - start);
    }
    const used = process.cpuUsage(before);
    const serverAfter = processCpuUs(options.serverPid);
    clientCpuUs = (used.user + used.system) / options.calls;
    serverCpuUs =
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : (serverAfter - serverBefore) / options.calls;
  }

  const relay = await startCountingRelay(options.memoryUrl);
  try {
    await using client = clientFor(relay.url);
    // The connection's opening (and HTTP/2's settings) is not a call's cost.
    await readPage(client);
    relay.reset();
    for (let i = 0; i < options.calls; i++) await readPage(client);
    const { up, down } = relay.bytes();
    durations.sort((a, b) => a - b);
    return {
      ...variant,
      bytesDown: down / options.calls,
      bytesUp: up / options.calls,
      clientCpuUs,
      serverCpuUs,
      p50Ms: durations[Math.floor(durations.length / 2)] ?? 0,
    };
  } finally {
    await relay.close();
  }
}
