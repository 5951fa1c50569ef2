// Prints each service of the contract with its RPCs and their idempotency levels: what a client
// may retry, read from the generated descriptors rather than from the .proto text.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { MemoryService, SessionsService } from "../src/index.js";

function retrySafety(method: DescMethod): [level: string, retry: string] {
  switch (method.idempotency) {
    case Idempotency.NO_SIDE_EFFECTS:
      return ["NO_SIDE_EFFECTS", "retry: yes, a read"];
    case Idempotency.IDEMPOTENT:
      return ["IDEMPOTENT", "retry: yes, a repeat changes nothing more"];
    default:
      return method.input.fields.some((f) => f.name === "request_id")
        ? ["IDEMPOTENCY_UNKNOWN", "retry: yes, with the same request_id"]
        : ["IDEMPOTENCY_UNKNOWN", "retry: NO"];
  }
}

function describe(service: DescService): string {
  const width = Math.max(...service.methods.map((m) => m.name.length));
  const lines = service.methods.map((m) => {
    const [level, retry] = retrySafety(m);
    return `  ${m.name.padEnd(width)}  ${level.padEnd(19)}  ${retry}`;
  });
  return [`${service.typeName} (${service.methods.length} RPCs)`, ...lines].join("\n");
}

console.log([SessionsService, MemoryService].map(describe).join("\n\n"));
