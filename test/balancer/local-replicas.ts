// Replicas of the services in this process, one per loopback address, all on the same two ports,
// each with its own in-memory data: where a write lands shows which endpoint took the call.
import { type RunningServices, startServices } from "../../src/server/index.js";
import { freePorts } from "../support/service-process.js";

export const replicaHosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"] as const;

export interface LocalReplicas {
  readonly sessionsPort: number;
  readonly memoryPort: number;
  /** The running replica on each address, undefined while stopped. */
  readonly running: (RunningServices | undefined)[];
  start(i: number): Promise<void>;
  stop(i: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a replica on each of `count` addresses, on ports free on all of them. */
export async function startLocalReplicas(
  count: number = replicaHosts.length,
): Promise<LocalReplicas> {
  for (let tries = 0; ; tries++) {
    const [sessionsPort, memoryPort] = (await freePorts(2)) as [number, number];
    const running: (RunningServices | undefined)[] = [];
    const start = async (i: number) => {
      running[i] = await startServices({
        host: replicaHosts[i] as string,
        sessionsPort,
        memoryPort,
      });
    };
    try {
      for (let i = 0; i < count; i++) await start(i);
    } catch (error) {
      await Promise.all(running.map((r) => r?.close()));
      // A port free on 127.0.0.1 was taken on another address: try others.
      if ((error as { code?: unknown }).code === "EADDRINUSE" && tries < 5) continue;
      throw error;
    }
    return {
      sessionsPort,
      memoryPort,
      running,
      start,
      async stop(i) {
        await running[i]?.close();
        running[i] = undefined;
      },
      async close() {
        await Promise.all(running.map((r) => r?.close()));
      },
    };
  }
}
