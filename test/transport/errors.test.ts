// Errors, as the caller gets them: those a well-behaved server reports (the reference services),
// and the responses of broken or foreign peers (purpose-built HTTP/2 servers), each mapped to the
// gRPC code the protocol prescribes, with the peer's headers and trailers as metadata.
import { constants } from "node:http2";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { failureKind } from "../../src/policy/transient.js";
import { rejection } from "../support/errors.js";
import { useServices } from "../support/services.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { grpcFrame, type PeerHandler, respondGrpc, respondTrailersOnly } from "./grpc-peer.js";

const services = useServices();
const open = useTransportFixtures();
const referenceSessions = () => open.sessionsClient({ baseUrl: services().services.sessionsUrl });

/** The error of a GetSession call to a peer that answers with `handler`. */
async function callFailing(handler: PeerHandler, code: Code) {
  const peer = await open.startPeer(handler);
  return rejection(open.sessionsClient({ baseUrl: peer.url }).getSession({ id: unknownId }), code);
}

describe("errors from the reference services", () => {
  it("reports INVALID_ARGUMENT with its google.rpc.BadRequest detail", async () => {
    const error = await rejection(
      referenceSessions().getSession({ id: "nope" }),
      Code.InvalidArgument,
    );
    expect(error.rawMessage).toMatch(/^id: must be a UUID/);
    const violations = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
    expect(violations.map((v) => v.field)).toEqual(["id"]);
  });

  it("reports NOT_FOUND with the decoded message and the status in the metadata", async () => {
    const error = await rejection(referenceSessions().getSession({ id: unknownId }), Code.NotFound);
    expect(error.rawMessage).toBe(`session ${unknownId} not found`);
    expect(error.metadata.get("grpc-status")).toBe("5");
    expect(error.metadata.get("content-type")).toBe("application/grpc+proto");
    expect(failureKind(error)).toBe("status");
  });
});

describe("gRPC statuses", () => {
  it("puts both the headers and the trailers in the error's metadata", async () => {
    const error = await callFailing(
      (stream) =>
        respondGrpc(stream, {
          headers: { "x-from-headers": "h" },
          trailers: { "grpc-status": "9", "grpc-message": "not now", "x-from-trailers": "t" },
        }),
      Code.FailedPrecondition,
    );
    expect(error.rawMessage).toBe("not now");
    expect(error.metadata.get("x-from-headers")).toBe("h");
    expect(error.metadata.get("x-from-trailers")).toBe("t");
  });

  it("reads the status of a trailers-only response from its headers", async () => {
    const error = await callFailing(
      (stream) =>
        respondTrailersOnly(stream, {
          "grpc-status": "5",
          "grpc-message": "gone",
          "x-only": "1",
        }),
      Code.NotFound,
    );
    expect(error.rawMessage).toBe("gone");
    expect(error.metadata.get("x-only")).toBe("1");
  });

  it("percent-decodes grpc-message", async () => {
    const error = await callFailing(
      (stream) =>
        respondGrpc(stream, {
          trailers: { "grpc-status": "3", "grpc-message": "fact%3A x%20is%20%E2%9C%93" },
        }),
      Code.InvalidArgument,
    );
    expect(error.rawMessage).toBe("fact: x is ✓");
  });

  it("fails with INTERNAL when the trailers carry no grpc-status", async () => {
    const error = await callFailing(
      (stream) => respondGrpc(stream, { body: getSessionBody(), trailers: { "x-note": "1" } }),
      Code.Internal,
    );
    expect(error.rawMessage).toMatch(/grpc-status/);
  });

  it("fails with INTERNAL when the stream ends without trailers", async () => {
    const error = await callFailing((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.end(getSessionBody());
    }, Code.Internal);
    expect(failureKind(error)).toBe("reset");
  });
});

describe("responses that are not gRPC", () => {
  it("maps HTTP 503 to UNAVAILABLE, keeping the response headers", async () => {
    const error = await callFailing((stream) => {
      stream.respond({ ":status": 503, "content-type": "text/plain", "retry-after": "1" });
      stream.end("overloaded");
    }, Code.Unavailable);
    expect(error.rawMessage).toBe("HTTP 503");
    expect(error.metadata.get("retry-after")).toBe("1");
  });

  it("maps HTTP 404 to UNIMPLEMENTED", async () => {
    await callFailing((stream) => {
      stream.respond({ ":status": 404 });
      stream.end();
    }, Code.Unimplemented);
  });

  it("fails with UNKNOWN on HTTP 200 with content-type text/html", async () => {
    const error = await callFailing((stream) => {
      stream.respond({ ":status": 200, "content-type": "text/html" });
      stream.end("<html></html>");
    }, Code.Unknown);
    expect(error.rawMessage).toMatch(/text\/html/);
  });

  it("fails with INTERNAL on a response encoding it did not ask for", async () => {
    // It asks for gzip alone (test/transport/compression.test.ts covers gzip unasked for).
    await callFailing(
      (stream) => respondGrpc(stream, { headers: { "grpc-encoding": "br" } }),
      Code.Internal,
    );
  });
});

describe("broken message framing", () => {
  const message = () => getSessionBody().subarray(5);
  const broken: [string, () => Buffer, Code, RegExp][] = [
    ["a compressed message", () => grpcFrame(message(), 1), Code.Internal, /compressed/],
    ["a message that ends early", () => getSessionBody().subarray(0, 12), Code.Internal, /ends/],
    [
      "a message prefix that ends early",
      () => getSessionBody().subarray(0, 3),
      Code.Internal,
      /prefix/,
    ],
    [
      "two messages",
      () => Buffer.concat([getSessionBody(), getSessionBody()]),
      Code.Unimplemented,
      /extra/,
    ],
    ["no message", () => Buffer.alloc(0), Code.Unimplemented, /missing output message/],
    [
      "bytes that are not the output message",
      () => grpcFrame(Buffer.from([0xff])),
      Code.Internal,
      /./,
    ],
  ];

  it.each(broken)("rejects %s", async (_, body, code, message) => {
    const error = await callFailing((stream) => respondGrpc(stream, { body: body() }), code);
    expect(error.rawMessage).toMatch(message);
  });
});

describe("streams the peer breaks", () => {
  it("fails with INTERNAL, as a reset, when the peer resets the stream with INTERNAL_ERROR", async () => {
    const error = await callFailing((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }, Code.Internal);
    expect(failureKind(error)).toBe("reset");
  });
});
