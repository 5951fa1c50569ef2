import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MemoryService } from "../../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import type { Input } from "./input.js";
import type { Random } from "./random.js";

/** Where an input goes: a method of the port's service, Health/Check, or a path nothing serves. */
export interface Target {
  readonly port: Input["port"];
  readonly path: string;
  /** The method at `path`, undefined for an unknown path. */
  readonly method: DescMethod | undefined;
  /** The method whose request message the payload is made from (any method for unknown paths). */
  readonly messageOf: DescMethod;
}

const services: Record<Input["port"], DescService> = {
  sessions: SessionsService,
  memory: MemoryService,
};
const healthCheck = Health.method.check;

export const allMethods: readonly DescMethod[] = [
  ...SessionsService.methods,
  ...MemoryService.methods,
  healthCheck,
];

export const pathOf = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

/** Every path something answers on, so that "unknown" paths are checked to be unknown. */
const knownPaths = new Set([
  ...allMethods.map(pathOf),
  ...Health.methods.map(pathOf),
  "/health",
  "/health/live",
  "/health/ready",
]);

/** 85% a method of the port's own service, 7% Health/Check, 8% an unknown path (either port). */
export function chooseTarget(random: Random): Target {
  const port = random.chance(0.5) ? "sessions" : "memory";
  const roll = random.int(100);
  if (roll < 85) {
    const method = random.pick(services[port].methods);
    return { port, path: pathOf(method), method, messageOf: method };
  }
  if (roll < 92) {
    return { port, path: pathOf(healthCheck), method: healthCheck, messageOf: healthCheck };
  }
  return unknownTarget(random);
}

/** `method` on its own service's port (Health/Check on either). */
export function targetFor(method: DescMethod, random: Random): Target {
  const port =
    method.parent === SessionsService
      ? "sessions"
      : method.parent === MemoryService
        ? "memory"
        : random.chance(0.5)
          ? "sessions"
          : "memory";
  return { port, path: pathOf(method), method, messageOf: method };
}

/** A path nothing serves, on either port. */
export function unknownTarget(random: Random): Target {
  const port = random.chance(0.5) ? "sessions" : "memory";
  const messageOf = random.pick(allMethods);
  return { port, path: unknownPath(port, messageOf, random), method: undefined, messageOf };
}

function unknownPath(port: Input["port"], method: DescMethod, random: Random): string {
  const other = port === "sessions" ? MemoryService : SessionsService;
  const candidates = [
    pathOf(random.pick(other.methods)), // the other service's method, on this port
    pathOf(method).toLowerCase(),
    `${pathOf(method)}/`,
    `/${method.parent.typeName}/NoSuchMethod`,
    `/${method.parent.typeName}`,
    "/",
    "/grpc.health.v1.Health/Check2",
    `/${Array.from(random.bytes(1 + random.int(40)), (b) => (33 + (b % 94)).toString(36)).join("")}`,
    `//${method.parent.typeName}/${method.name}`,
    "/health/../health",
  ];
  const path = random.pick(candidates);
  if (knownPaths.has(path)) return "/unknown";
  return path;
}
