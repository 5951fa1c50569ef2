// The reference services with a fault proxy in front of each, started once per test file: what
// the client tests that count attempts on the wire share.
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";

/** Getters, valid once the file's tests run; the proxies forward everything again before each test. */
export interface ProxiedServices {
  readonly services: () => RunningServices;
  readonly sessionsProxy: () => FaultProxy;
  readonly memoryProxy: () => FaultProxy;
}

/** Starts the services and their proxies before a file's tests and closes them after. */
export function useProxiedServices(): ProxiedServices {
  let started: { services: RunningServices; sessions: FaultProxy; memory: FaultProxy } | undefined;
  beforeAll(async () => {
    const services = await startServices();
    const [sessions, memory] = await Promise.all([
      startFaultProxy(services.sessionsUrl),
      startFaultProxy(services.memoryUrl),
    ]);
    started = { services, sessions, memory };
  });
  afterAll(async () => {
    await Promise.all([started?.sessions.close(), started?.memory.close()]);
    await started?.services.close();
  });
  beforeEach(() => {
    started?.sessions.reset();
    started?.memory.reset();
  });
  const get = () => {
    if (!started) throw new Error("the services are not started yet");
    return started;
  };
  return {
    services: () => get().services,
    sessionsProxy: () => get().sessions,
    memoryProxy: () => get().memory,
  };
}
