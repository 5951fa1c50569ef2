// Unary calls end to end over the HTTP/2 gRPC transport: against the reference services for what
// comes back, and against a recording peer for what goes out on the wire.
import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createHttp2GrpcTransport } from "../../src/transport/index.js";
import { rejection } from "../support/errors.js";
import { useServices } from "../support/services.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const services = useServices();
const open = useTransportFixtures();
const sessionsClient = () => open.sessionsClient({ baseUrl: services().services.sessionsUrl });

describe("unary calls against the reference services", () => {
  it("creates a session and reads it back", async () => {
    const sessions = sessionsClient();
    const { session: created } = await sessions.createSession({
      title: "over http2",
      scope: { user_id: "transport" },
    });
    const { session } = await sessions.getSession({ id: created?.id ?? "" });
    expect(session?.title).toBe("over http2");
    expect(session?.scope).toEqual({ user_id: "transport" });
  });

  it("hands the response header and trailer to the caller as real Headers", async () => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    await sessionsClient().createSession(
      {},
      {
        onHeader: (h) => {
          header = h;
        },
        onTrailer: (t) => {
          trailer = t;
        },
      },
    );
    expect(header).toBeInstanceOf(Headers);
    expect(trailer).toBeInstanceOf(Headers);
    expect(header?.get("content-type")).toBe("application/grpc+proto");
    expect(trailer?.get("grpc-status")).toBe("0");
    // Copies and iteration see the fields too, not only get().
    expect(new Headers(header).get("content-type")).toBe("application/grpc+proto");
    expect(Object.fromEntries(trailer ?? [])).toMatchObject({ "grpc-status": "0" });
    expect([...(header?.keys() ?? [])]).not.toContain(":status");
  });

  it("decodes an empty response message", async () => {
    const sessions = sessionsClient();
    const { session } = await sessions.createSession({});
    const deleted = await sessions.deleteSession({ id: session?.id ?? "" });
    expect(deleted.$typeName).toBe("contextiq.sessions.v1.DeleteSessionResponse");
    await rejection(sessions.getSession({ id: session?.id ?? "" }), Code.NotFound);
  });

  it("carries messages larger than one HTTP/2 frame both ways", async () => {
    const sessions = sessionsClient();
    const note = "x".repeat(100_000);
    const { session: created } = await sessions.createSession({ state: { note } });
    const { session } = await sessions.getSession({ id: created?.id ?? "" });
    expect(session?.state?.["note"]).toBe(note);
  });
});

describe("the request on the wire", () => {
  it("is a gRPC POST to the method's path under the base URL's path", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    await open
      .sessionsClient({ baseUrl: `${peer.url}/api/` })
      .getSession({ id: unknownId }, { headers: { "x-request-tag": "tagged" } });
    expect(peer.streams[0]?.headers).toMatchObject({
      ":method": "POST",
      ":scheme": "http",
      ":authority": `127.0.0.1:${peer.port}`,
      ":path": "/api/contextiq.sessions.v1.SessionsService/GetSession",
      "content-type": "application/grpc+proto",
      te: "trailers",
      "user-agent": expect.stringMatching(/^contextiq-clients\//),
      "x-request-tag": "tagged",
    });
  });

  it("keeps a user-agent the caller set", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    await open
      .sessionsClient({ baseUrl: peer.url })
      .getSession({ id: unknownId }, { headers: { "User-Agent": "my-agent/2" } });
    expect(peer.streams[0]?.headers["user-agent"]).toBe("my-agent/2");
  });
});

describe("streams", () => {
  it("runs a server stream too: Health.Watch of the reference services says SERVING", async () => {
    const transport = open.createTransport({ baseUrl: services().services.sessionsUrl });
    const controller = new AbortController();
    const watch = createClient(Health, transport).watch(
      { service: "" },
      { signal: controller.signal },
    );
    const first = await watch[Symbol.asyncIterator]().next();
    expect(first.value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    // A watch lasts until cancelled (streams-grpc.test.ts holds streams to grpc-js).
    controller.abort();
  });
});

describe("what the transport does not do", () => {
  it("refuses a base URL that is not http or https, naming it", () => {
    expect(() => createHttp2GrpcTransport({ baseUrl: "ftp://127.0.0.1:1" })).toThrow(
      /baseUrl must be an http:\/\/ or https:\/\/ URL, got ftp:/,
    );
  });
});
