// Replicas of the services on one PostgreSQL database, as a fleet behind one DNS name: replica i
// listens on 127.0.0.{i+1}, every replica on the same sessions port and the same memory port. Each
// runs in a child process (service-process.ts) that counts the calls it serves (count-served.ts),
// so a test can see where a client's or a proxy's calls went without trusting either of them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Flushed, FlushRequest, ServedReport } from "./count-served.js";
import { type DelayingRelay, startDelayingRelay } from "./delaying-relay.js";
import { freePorts, type ServiceProcess, serviceProcess } from "./service-process.js";
import { dropSchema, uniqueSchema } from "./stores.js";

/** The loopback addresses replicas may listen on: this machine routes these three. */
export const fleetHosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"] as const;

const countServed = new URL("./count-served.ts", import.meta.url).href;

/** How long a replica may take to answer a request for its counts. */
const flushTimeoutMs = 10_000;

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** The PostgreSQL database the replicas share (TEST_DATABASE_URL), in a schema of the fleet's own. */
  databaseUrl: string;
  /** Replicas started at once, 1 to 3. Defaults to 3. */
  count?: number;
  /**
   * Delay added to everything replica i sends, in ms, by index (e.g. `[0, 50]`): a relay listens
   * on the replica's address and ports, the replica itself on ports of its own. Defaults to none.
   */
  slowMs?: readonly number[];
  /** More environment for every replica, e.g. a limit's variable. */
  env?: Readonly<Record<string, string>>;
}

/** One replica of a fleet. */
export interface Replica {
  readonly index: number;
  /** 127.0.0.{index+1}. */
  readonly host: string;
  /** Where clients reach its Sessions service: through its relay when it is slow. */
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
  /** Delay of everything it sends, in ms; 0 when it is not slowed. */
  readonly slowMs: number;
  /** Its process's pid, undefined while it is killed or stopped. */
  readonly pid: number | undefined;
}

/** Replicas on one database; see {@link startFleet}. */
export interface Fleet {
  readonly replicas: readonly Replica[];
  /** The sessions port, the same on every replica's address. */
  readonly sessionsPort: number;
  /** The memory port, the same on every replica's address. */
  readonly memoryPort: number;
  readonly databaseUrl: string;
  /** The fleet's schema, dropped on close. */
  readonly schema: string;
  /** SIGKILLs replica i and waits until it has exited: its address refuses connections. */
  kill(i: number): Promise<void>;
  /** SIGTERM (replica i drains its calls), SIGKILL after `graceMs` (default 5 s), and waits. */
  stop(i: number, graceMs?: number): Promise<void>;
  /**
   * Slowed replica i answers nothing more: what it sends from now on never reaches its clients,
   * so the calls it receives stay in flight until it is killed or stopped (started again, it
   * answers as before). For a kill that is sure to catch calls in flight.
   */
  hold(i: number): void;
  /** Starts replica i again, on the same address and ports, and waits until it answers. */
  start(i: number): Promise<void>;
  /** Starts one more replica, at the next address. */
  addReplica(options?: { slowMs?: number }): Promise<Replica>;
  /**
   * Calls replica i has received since the last resetCounts, by path (e.g.
   * `/contextiq.sessions.v1.SessionsService/CreateSession`), health checks left out. Counts add
   * up across kills and restarts; a killed replica keeps those it reported before it died.
   */
  served(i: number): Promise<Map<string, number>>;
  /** The sum of served(i). */
  totalServed(i: number): Promise<number>;
  /** Sets every replica's counts to zero. */
  resetCounts(): Promise<void>;
  /** The last lines replica i printed, for failure messages. */
  output(i: number): string;
  /** Stops every replica and relay, and drops the schema. */
  close(): Promise<void>;
}

interface Member extends Replica {
  readonly process: ServiceProcess;
  readonly counts: Map<string, number>;
  readonly flushes: Map<number, () => void>;
  /** Where the replica itself listens when it is slowed. */
  readonly inner?: { sessionsPort: number; memoryPort: number };
  relay?: DelayingRelay[] | undefined;
}

/**
 * Starts `count` replicas (default 3) one after the other (the first creates the schema), on a
 * fresh schema of `databaseUrl`. Ports are picked free on all three addresses, so that
 * addReplica can use the next one.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const count = options.count ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > fleetHosts.length) {
    throw new Error(`The \`count\` option must be 1 to ${fleetHosts.length}, got ${count}`);
  }
  const schema = uniqueSchema();
  const dataDir = await mkdtemp(join(tmpdir(), "contextiq-fleet-"));
  const [sessionsPort = 0, memoryPort = 0] = await freePorts(2, fleetHosts);
  const members: Member[] = [];
  let nextFlush = 0;

  const member = async (index: number, slowMs: number): Promise<Member> => {
    const host = fleetHosts[index] as string;
    const [innerSessions = 0, innerMemory = 0] = slowMs > 0 ? await freePorts(2, [host]) : [];
    const counts = new Map<string, number>();
    const flushes = new Map<number, () => void>();
    const child = serviceProcess({
      host,
      sessionsPort: slowMs > 0 ? innerSessions : sessionsPort,
      memoryPort: slowMs > 0 ? innerMemory : memoryPort,
      dataDir,
      env: { DATABASE_URL: options.databaseUrl, CONTEXTIQ_DATABASE_SCHEMA: schema, ...options.env },
      preload: [countServed],
      onMessage: (message) => {
        const m = message as ServedReport | Flushed;
        if (m.type === "contextiq:served") {
          for (const [path, n] of Object.entries(m.counts)) {
            counts.set(path, (counts.get(path) ?? 0) + n);
          }
        } else if (m.type === "contextiq:flushed") {
          flushes.get(m.id)?.();
        }
      },
    });
    return {
      index,
      host,
      sessionsUrl: `http://${host}:${sessionsPort}`,
      memoryUrl: `http://${host}:${memoryPort}`,
      slowMs,
      get pid() {
        return child.pid;
      },
      process: child,
      counts,
      flushes,
      ...(slowMs > 0 ? { inner: { sessionsPort: innerSessions, memoryPort: innerMemory } } : {}),
    };
  };

  const at = (i: number): Member => {
    const found = members[i];
    if (!found) throw new Error(`no replica ${i}: the fleet has ${members.length}`);
    return found;
  };

  const start = async (i: number) => {
    const m = at(i);
    await m.process.start();
    if (m.inner) {
      m.relay = await Promise.all(
        [
          [sessionsPort, m.inner.sessionsPort],
          [memoryPort, m.inner.memoryPort],
        ].map(([port = 0, upstreamPort = 0]) =>
          startDelayingRelay({
            host: m.host,
            port,
            upstreamHost: m.host,
            upstreamPort,
            delayMs: m.slowMs,
          }),
        ),
      );
    }
  };

  // The relay goes with its replica: a killed replica's address refuses connections.
  const closeRelay = async (m: Member) => {
    const relays = m.relay ?? [];
    m.relay = undefined;
    await Promise.all(relays.map((relay) => relay.close()));
  };

  /** Waits until every count replica i reported up to now has arrived. */
  const flush = async (m: Member) => {
    const id = nextFlush++;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        m.flushes.set(id, resolve);
        if (!m.process.send({ type: "contextiq:flush", id } satisfies FlushRequest)) {
          resolve(); // Not running: what it reported is all there is.
          return;
        }
        timer = setTimeout(
          () => reject(new Error(`replica ${m.index} did not report its counts in time`)),
          flushTimeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      m.flushes.delete(id);
    }
  };

  const add = async (slowMs: number): Promise<Member> => {
    if (members.length >= fleetHosts.length) {
      throw new Error(`a fleet has at most ${fleetHosts.length} replicas, one per address`);
    }
    const m = await member(members.length, slowMs);
    members.push(m);
    await start(m.index);
    return m;
  };

  const served = async (i: number) => {
    const m = at(i);
    await flush(m);
    return new Map(m.counts);
  };

  const close = async () => {
    await Promise.all(
      members.map(async (m) => {
        await closeRelay(m);
        await m.process.stop(2_000);
      }),
    );
    await dropSchema(options.databaseUrl, schema);
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    // One after the other: the first creates the schema the others find.
    for (let i = 0; i < count; i++) await add(options.slowMs?.[i] ?? 0);
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }

  return {
    get replicas() {
      return [...members];
    },
    sessionsPort,
    memoryPort,
    databaseUrl: options.databaseUrl,
    schema,
    async kill(i) {
      const m = at(i);
      await closeRelay(m);
      await m.process.kill("SIGKILL");
    },
    async stop(i, graceMs) {
      const m = at(i);
      // The relay last: the calls the replica drains still reach their clients.
      await m.process.stop(graceMs);
      await closeRelay(m);
    },
    hold(i) {
      const m = at(i);
      if (!m.relay) throw new Error(`replica ${i} is not running slowed: give it \`slowMs\``);
      for (const relay of m.relay) relay.hold();
    },
    start,
    addReplica: (added) => add(added?.slowMs ?? 0),
    served,
    async totalServed(i) {
      let total = 0;
      for (const n of (await served(i)).values()) total += n;
      return total;
    },
    async resetCounts() {
      await Promise.all(members.map(flush));
      for (const m of members) m.counts.clear();
    },
    output: (i) => at(i).process.output(),
    close,
  };
}
