// Latency of the client's own balancing over three replicas (127.0.0.1-3, one name, one database),
// healthy and with one replica slowed by 50 ms per call, beside round robin: the speed half of the
// figures in docs/fleet.md (test/fleet/balancing.test.ts checks the shares).
//
//   npm run bench:fleet [-- --calls 3000 --concurrency 2 --database-url postgres://...]
//
// PostgreSQL: --database-url, else TEST_DATABASE_URL, else .ci/postgres starts one (installing it
// when missing). One run, closed loops of `--concurrency` calls (GetSession and CreateEvent in
// turn), after a warm-up; the ratios compare rows of the same run. Keep the machine otherwise idle.

import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type LoadBalancing, SessionsServiceClient } from "../src/index.js";
import { type Fleet, fleetHosts, startFleet } from "../test/support/fleet.js";
import { formatWithBiome } from "./harness/report/biome-format.js";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "2" },
    transport: { type: "string", default: "grpc" },
    "database-url": { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("./results", import.meta.url)) },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const transport = values.transport === "json" ? "json" : "grpc";

function databaseUrl(): string {
  const given = values["database-url"] ?? process.env["TEST_DATABASE_URL"];
  if (given) return given;
  process.stderr.write("starting PostgreSQL with .ci/postgres\n");
  const script = fileURLToPath(new URL("../.ci/postgres", import.meta.url));
  const env = execFileSync("bash", [script, "start"], { encoding: "utf8" });
  const url = /TEST_DATABASE_URL=(\S+)/.exec(env)?.[1]?.replace(/^["']|["']$/g, "");
  if (!url) throw new Error(`.ci/postgres gave no TEST_DATABASE_URL:\n${env}`);
  return url;
}

interface Row {
  readonly fleet: string;
  readonly balancing: LoadBalancing;
  readonly p50: number;
  readonly p99: number;
  readonly slowShare: number | undefined;
}

async function measure(fleet: Fleet, label: string, balancing: LoadBalancing): Promise<Row> {
  await using sessions = new SessionsServiceClient({
    transport,
    baseUrl: `http://fleet.test:${fleet.sessionsPort}`,
    resolver: async () => fleetHosts,
    loadBalancing: balancing,
    env: {},
  });
  const session = await sessions.createSession();
  const latencies: number[] = [];
  const loop = async (count: number, record: boolean) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const start = performance.now();
        if (i % 2 === 0) await sessions.getSession(session.id);
        else await sessions.createEvent({ sessionId: session.id, eventType: "bench", data: { i } });
        if (record) latencies.push(performance.now() - start);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await loop(Math.min(500, calls), false);
  await fleet.resetCounts();
  await loop(calls, true);
  const served = await Promise.all(fleet.replicas.map((r) => fleet.totalServed(r.index)));
  const total = served.reduce((a, b) => a + b, 0);
  const slowed = fleet.replicas.find((r) => r.slowMs > 0);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return {
    fleet: label,
    balancing,
    p50: at(0.5),
    p99: at(0.99),
    slowShare: slowed === undefined ? undefined : (served[slowed.index] ?? 0) / total,
  };
}

const url = databaseUrl();
const rows: Row[] = [];
for (const [label, slowMs] of [
  ["healthy", [0, 0, 0]],
  ["one replica +50 ms", [0, 0, 50]],
] as const) {
  const fleet = await startFleet({ databaseUrl: url, slowMs });
  try {
    for (const balancing of ["peak-ewma", "round-robin"] as const) {
      rows.push(await measure(fleet, label, balancing));
    }
  } finally {
    await fleet.close();
  }
}

const healthy = rows.find((r) => r.fleet === "healthy" && r.balancing === "peak-ewma") as Row;
const lines = [
  `# Balancing over three replicas (${transport}, ${calls} calls, ${concurrency} in flight)`,
  "",
  "| fleet | balancing | p50 ms | p99 ms | p99 / healthy p99 | slowed replica's share |",
  "| --- | --- | --- | --- | --- | --- |",
  ...rows.map(
    (r) =>
      `| ${r.fleet} | ${r.balancing} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.p99 / healthy.p99).toFixed(2)}x | ${r.slowShare === undefined ? "" : `${(r.slowShare * 100).toFixed(1)}%`} |`,
  ),
  "",
  `Target: with one replica slowed, peak-ewma's p99 within 1.5x of the healthy fleet's.`,
  "",
];
const markdown = lines.join("\n");
process.stdout.write(markdown);
await mkdir(values.out, { recursive: true });
await writeFile(`${values.out}/fleet.md`, await formatWithBiome(markdown, "fleet.md"));
process.exit(0);
