// The reference services the worker suites run against, and the transports they run over.
import { afterAll, beforeAll } from "vitest";
import {
  type RunningServices,
  type StartServicesOptions,
  startServices,
} from "../../src/server/index.js";

/** Both transports, as the facade clients' options, named for describe.each. */
export const workerTransports = [
  ["json", { transport: "json" }],
  ["grpc", { transport: "grpc" }],
] as const;

/** Services started before the file's tests and closed after them. */
export function useWorkerServices(options: StartServicesOptions = {}): () => RunningServices {
  let services: RunningServices | undefined;
  beforeAll(async () => {
    services = await startServices(options);
  });
  afterAll(() => services?.close());
  return () => {
    if (services === undefined) throw new Error("the services are not started yet");
    return services;
  };
}
