/// <reference types="vite/client" />
// The shape of the contract as generated into gen/: which RPCs exist, what a client may retry,
// and the request fields that make retries and paging work.
import { type DescMethod, type DescService, ScalarType } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";

const generated = import.meta.glob<Record<string, unknown>>("../../gen/**/*_pb.ts", {
  eager: true,
});

function isService(value: unknown): value is DescService {
  return (value as DescService | undefined)?.kind === "service";
}

const allServices = Object.values(generated)
  .flatMap((module) => Object.values(module))
  .filter(isService);

// Our own services; third_party/ brings upstream ones (gRPC health) with their own conventions.
const services = new Map<string, DescService>(
  allServices.filter((s) => s.typeName.startsWith("contextiq.")).map((s) => [s.typeName, s]),
);

// The RPCs each service has at least: those of the services the contract replaces.
const listed: Record<string, string[]> = {
  "contextiq.sessions.v1.SessionsService": [
    "CreateSession",
    "GetSession",
    "ListSessions",
    "UpdateSessionState",
    "EndSession",
    "DeleteSession",
    "CreateEvent",
    "GetEvent",
    "ListEvents",
  ],
  "contextiq.memory.v1.MemoryService": [
    "CreateMemory",
    "GetMemory",
    "BatchGetMemories",
    "ListMemories",
    "SearchMemories",
    "UpdateMemory",
    "DeleteMemory",
    "ListMemoryRevisions",
    "GetMemoryRevision",
  ],
};

const methods: DescMethod[] = [...services.values()].flatMap((s) => s.methods);
const named = (...prefixes: string[]) =>
  methods.filter((m) => prefixes.some((p) => m.name.startsWith(p)));

function scalarField(method: DescMethod, side: "input" | "output", name: string) {
  const field = method[side].fields.find((f) => f.name === name);
  return field?.fieldKind === "scalar" ? ScalarType[field.scalar] : field?.fieldKind;
}

describe("the generated services", () => {
  it("are exactly the Sessions and Memory services, and the gRPC health service", () => {
    expect([...services.keys()].sort()).toEqual(Object.keys(listed).sort());
    expect(allServices.map((s) => s.typeName).sort()).toEqual(
      [...Object.keys(listed), "grpc.health.v1.Health"].sort(),
    );
  });

  it.each(Object.entries(listed))("%s has every listed RPC", (typeName, rpcs) => {
    const names = services.get(typeName)?.methods.map((m) => m.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(rpcs));
  });

  it("are unary, but for WatchEvents, a server stream", () => {
    const streams = methods.filter((m) => m.methodKind !== "unary");
    expect(streams.map((m) => [m.name, m.methodKind])).toEqual([
      ["WatchEvents", "server_streaming"],
    ]);
  });

  it("name every RPC with a verb whose retry rule is known", () => {
    const classified = named(
      "Create",
      "Get",
      "BatchGet",
      "List",
      "Search",
      "Watch",
      "Update",
      "End",
      "Delete",
    );
    expect(methods.length).toBeGreaterThanOrEqual(19);
    expect(classified).toHaveLength(methods.length);
  });
});

describe("idempotency levels", () => {
  it.each(named("Get", "BatchGet", "List", "Search", "Watch").map((m) => [m.name, m]))(
    "%s is a read: NO_SIDE_EFFECTS",
    (_, method) => {
      expect(Idempotency[method.idempotency]).toBe("NO_SIDE_EFFECTS");
    },
  );

  it.each(named("Update", "End", "Delete").map((m) => [m.name, m]))(
    "%s is an idempotent mutation: IDEMPOTENT",
    (_, method) => {
      expect(Idempotency[method.idempotency]).toBe("IDEMPOTENT");
    },
  );

  it.each(named("Create").map((m) => [m.name, m]))(
    "%s is made retry-safe by a string request_id",
    (_, method) => {
      expect(Idempotency[method.idempotency]).toBe("IDEMPOTENCY_UNKNOWN");
      expect(scalarField(method, "input", "request_id")).toBe("STRING");
    },
  );
});

describe("list RPCs", () => {
  it.each(named("List").map((m) => [m.name, m]))(
    "%s pages with page_size, page_token, next_page_token and total_size",
    (_, method) => {
      expect(scalarField(method, "input", "page_size")).toBe("INT32");
      expect(scalarField(method, "input", "page_token")).toBe("STRING");
      expect(scalarField(method, "output", "next_page_token")).toBe("STRING");
      expect(scalarField(method, "output", "total_size")).toBe("INT32");
    },
  );
});
