// Interceptors on the HTTP/2 gRPC transport work as on connect's own: composed once, run in order
// around each call, free to change the request the server gets and to read the response.
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { rejection } from "../support/errors.js";
import { useServices } from "../support/services.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const services = useServices();
const open = useTransportFixtures();
const answer = () => open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));

/** An interceptor that logs `name` before and after the rest of the call. */
function logging(name: string, log: string[]): Interceptor {
  return (next) => async (req) => {
    log.push(`${name} before`);
    const res = await next(req);
    log.push(`${name} after`);
    return res;
  };
}

describe("interceptors", () => {
  it("run around each call in order, the first outermost", async () => {
    const log: string[] = [];
    const peer = await answer();
    const sessions = open.sessionsClient({
      baseUrl: peer.url,
      interceptors: [logging("outer", log), logging("inner", log)],
    });
    await sessions.getSession({ id: unknownId });
    await sessions.getSession({ id: unknownId });
    const oneCall = ["outer before", "inner before", "inner after", "outer after"];
    expect(log).toEqual([...oneCall, ...oneCall]);
  });

  it("are composed once for unary calls and once for streams, when the transport is made", async () => {
    const peer = await answer();
    let composed = 0;
    let called = 0;
    const counting: Interceptor = (next) => {
      composed++;
      return (req) => {
        called++;
        return next(req);
      };
    };
    const sessions = open.sessionsClient({ baseUrl: peer.url, interceptors: [counting] });
    for (let i = 0; i < 3; i++) await sessions.getSession({ id: unknownId });
    expect({ composed, called }).toEqual({ composed: 2, called: 3 });
  });

  it("see the request as connect describes it", async () => {
    const peer = await answer();
    const key = createContextKey("none", { description: "test value" });
    let seen: Record<string, unknown> = {};
    const inspecting: Interceptor = (next) => (req) => {
      seen = {
        url: req.url,
        method: req.method.name,
        requestMethod: req.requestMethod,
        stream: req.stream,
        timeout: req.header.get("grpc-timeout"),
        context: req.contextValues.get(key),
        message: req.message,
      };
      return next(req);
    };
    const sessions = open.sessionsClient({ baseUrl: `${peer.url}/`, interceptors: [inspecting] });
    const contextValues = createContextValues().set(key, "given");
    await sessions.getSession({ id: unknownId }, { timeoutMs: 5_000, contextValues });
    expect(seen).toMatchObject({
      url: `${peer.url}/contextiq.sessions.v1.SessionsService/GetSession`,
      method: "GetSession",
      requestMethod: "POST",
      stream: false,
      timeout: "5000m",
      context: "given",
      message: { id: unknownId },
    });
  });

  it("can add and change the headers the server gets", async () => {
    const peer = await answer();
    const adding: Interceptor = (next) => (req) => {
      req.header.set("authorization", "Bearer token");
      req.header.set("grpc-timeout", "42m");
      return next(req);
    };
    const sessions = open.sessionsClient({ baseUrl: peer.url, interceptors: [adding] });
    await sessions.getSession({ id: unknownId }, { timeoutMs: 5_000 });
    expect(peer.streams[0]?.headers).toMatchObject({
      authorization: "Bearer token",
      "grpc-timeout": "42m",
    });
  });

  it("see the response message, header and trailer", async () => {
    let seen: Record<string, unknown> = {};
    const inspecting: Interceptor = (next) => async (req) => {
      const res = await next(req);
      if (!res.stream) {
        seen = {
          message: res.message,
          contentType: res.header.get("content-type"),
          status: res.trailer.get("grpc-status"),
        };
      }
      return res;
    };
    const sessions = open.sessionsClient({
      baseUrl: services().services.sessionsUrl,
      interceptors: [inspecting],
    });
    await sessions.createSession({ title: "seen" });
    expect(seen).toMatchObject({
      message: { session: { title: "seen" } },
      contentType: "application/grpc+proto",
      status: "0",
    });
  });

  it("can change the response headers, which keep the fields from the wire", async () => {
    // The first use of the (lazily filled) headers is a write: the fields must be there under it.
    const changing: Interceptor = (next) => async (req) => {
      const res = await next(req);
      res.header.set("x-added", "1");
      return res;
    };
    let header: Headers | undefined;
    const sessions = open.sessionsClient({
      baseUrl: services().services.sessionsUrl,
      interceptors: [changing],
    });
    await sessions.createSession(
      {},
      {
        onHeader: (h) => {
          header = h;
        },
      },
    );
    expect(header?.get("x-added")).toBe("1");
    expect(header?.get("content-type")).toBe("application/grpc+proto");
  });

  it("see a failed call's error as a ConnectError, and may replace it", async () => {
    let seen: unknown;
    const replacing: Interceptor = (next) => async (req) => {
      try {
        return await next(req);
      } catch (error) {
        seen = error;
        throw new ConnectError("replaced", Code.Aborted);
      }
    };
    const sessions = open.sessionsClient({
      baseUrl: services().services.sessionsUrl,
      interceptors: [replacing],
    });
    const error = await rejection(sessions.getSession({ id: unknownId }), Code.Aborted);
    expect(error.rawMessage).toBe("replaced");
    expect(seen).toBeInstanceOf(ConnectError);
    expect((seen as ConnectError).code).toBe(Code.NotFound);
  });
});
