/** How big the workload's messages are on the wire, for the report. */
import {
  create,
  type DescMethodUnary,
  type MessageInitShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import type { WorkloadSizes } from "./report/results.js";
import { createCannedResponses } from "./servers/canned-responses.js";
import { callMethods, callNames, callPaths, cannedIds, requestContent } from "./workload.js";
import { embeddingDimensions, pageMemoryCount, searchLimit } from "./workload-memories.js";

export function measureWorkload(): WorkloadSizes {
  const requests = requestContent({ sessionsUrl: "", memoryUrl: "", ...cannedIds });
  const responses = createCannedResponses();
  const calls = Object.fromEntries(
    callNames.map((call) => {
      const { input } = callMethods[call] as DescMethodUnary;
      // A create carries a fresh request id, a UUID like any other.
      const init = call.startsWith("create")
        ? { ...requests[call], requestId: cannedIds.eventId }
        : requests[call];
      const request = create(input, init as MessageInitShape<never>);
      const response = responses.get(callPaths[call]);
      return [
        call,
        {
          requestBytes: toBinary(input, request).length,
          requestJsonBytes: Buffer.byteLength(toJsonString(input, request)),
          responseBytes: response?.binary.length ?? 0,
          responseJsonBytes: response?.json.length ?? 0,
        },
      ];
    }),
  ) as WorkloadSizes["calls"];
  return { embeddingDimensions, pageMemories: pageMemoryCount, searchResults: searchLimit, calls };
}
