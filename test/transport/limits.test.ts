// Message size limits: a response larger than readMaxBytes and a request larger than writeMaxBytes
// fail with RESOURCE_EXHAUSTED; one of exactly the limit passes; a request too large is not sent.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetSessionRequestSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { rejection } from "../support/errors.js";
import { useServices } from "../support/services.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const services = useServices();
const open = useTransportFixtures();
const fourMiB = 4 * 1024 * 1024;

describe("readMaxBytes", () => {
  it("accepts a response message of exactly the limit and refuses one byte more", async () => {
    const body = getSessionBody();
    const messageBytes = body.byteLength - 5;
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body }));
    const atLimit = open.sessionsClient({ baseUrl: peer.url, readMaxBytes: messageBytes });
    await atLimit.getSession({ id: unknownId });
    const belowIt = open.sessionsClient({ baseUrl: peer.url, readMaxBytes: messageBytes - 1 });
    const error = await rejection(belowIt.getSession({ id: unknownId }), Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/readMaxBytes/);
  });

  it("applies to the reference services' responses", async () => {
    const sessions = open.sessionsClient({
      baseUrl: services().services.sessionsUrl,
      readMaxBytes: 64,
    });
    await rejection(sessions.createSession({ title: "t".repeat(100) }), Code.ResourceExhausted);
  });

  it("defaults to 4 MiB", async () => {
    const peer = await open.startPeer((stream) =>
      respondGrpc(stream, { body: getSessionBody("t".repeat(fourMiB)) }),
    );
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await rejection(sessions.getSession({ id: unknownId }), Code.ResourceExhausted);
  });
});

describe("writeMaxBytes", () => {
  const requestBytes = toBinary(
    GetSessionRequestSchema,
    create(GetSessionRequestSchema, { id: unknownId }),
  ).byteLength;

  it("refuses a request message over the limit without opening a stream", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    const sessions = open.sessionsClient({ baseUrl: peer.url, writeMaxBytes: requestBytes - 1 });
    const error = await rejection(sessions.getSession({ id: unknownId }), Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/writeMaxBytes/);
    expect(peer.streams).toHaveLength(0);
  });

  it("sends a request message of exactly the limit", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    const sessions = open.sessionsClient({ baseUrl: peer.url, writeMaxBytes: requestBytes });
    await sessions.getSession({ id: unknownId });
    expect(peer.streams).toHaveLength(1);
  });

  it("defaults to 4 MiB", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await rejection(sessions.createSession({ title: "t".repeat(fourMiB) }), Code.ResourceExhausted);
    expect(peer.streams).toHaveLength(0);
  });
});
