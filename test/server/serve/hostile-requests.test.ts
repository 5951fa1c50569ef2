// Requests that connect-node mishandles on its own, each found by the fuzz test
// (test/security/fuzz.test.ts) and answered by serve()'s guards instead: one case each, named.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsServiceClient } from "../../../src/index.js";
import { type RunningServices, startServices } from "../../../src/server/index.js";

let services: RunningServices;
let port: number;

beforeAll(async () => {
  services = await startServices();
  port = Number(new URL(services.sessionsUrl).port);
});

afterAll(async () => {
  await services.close();
});

/** Sends `request` on a connection of its own and returns what came back until the server closed. */
function exchange(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(received));
    socket.end(request);
  });
}

const path = "/contextiq.sessions.v1.SessionsService";

describe("serve() answers what connect-node would mishandle", () => {
  it.each([
    ["no Host at all (HTTP/1.0)", `POST ${path}/GetSession HTTP/1.0\r\n`],
    ["an unparsable Host", `POST ${path}/GetSession HTTP/1.1\r\nhost: [\r\n`],
  ])("refuses %s with 400 instead of ending the process", async (_what, head) => {
    const response = await exchange(
      `${head}content-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
    );
    expect(response).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(response).toContain("the Host header (or :authority) is missing or malformed");
    expect((await fetch(`${services.sessionsUrl}/health`)).status).toBe(200);
  });

  it("refuses a gRPC-Web body that ends inside a second message, and writes nothing", async () => {
    // CreateSession { scope: { user_id: "truncated" } }, whole, then a prefix promising 16 bytes.
    const entry = Buffer.concat([
      Buffer.from([0x0a, 7]),
      Buffer.from("user_id"),
      Buffer.from([0x12, 9]),
      Buffer.from("truncated"),
    ]);
    const message = Buffer.concat([Buffer.from([0x0a, entry.length]), entry]);
    const prefix = (length: number) => Buffer.from([0, 0, 0, 0, length]);
    const body = Buffer.concat([prefix(message.length), message, prefix(16)]);
    const response = await fetch(`${services.sessionsUrl}${path}/CreateSession`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body,
    });
    // A gRPC-Web status is in the headers (trailers-only) or in a trailer frame of the body.
    const status = `${[...response.headers].join("\n")}\n${Buffer.from(await response.arrayBuffer()).toString("latin1")}`;
    expect(status).toMatch(/grpc-status: ?3\b/);
    expect(status).toMatch(/grpc-message: ?protocol%20error%3A%20incomplete%20envelope/);
    await using client = new SessionsServiceClient({ baseUrl: services.sessionsUrl, env: {} });
    expect(await client.listSessions({ scope: { user_id: "truncated" } })).toEqual([]);
  });

  it.each([
    [
      "percent-encoding that is not UTF-8",
      "encoding=json&message=%7B%22id%22%3A%22%FF%22%7D",
      /not valid percent-encoded UTF-8/,
    ],
    ["base64=1 with text that is not base64", "encoding=proto&base64=1&message=a", /is not base64/],
  ])("refuses a Connect GET with %s as INVALID_ARGUMENT", async (_what, query, message) => {
    const response = await fetch(`${services.sessionsUrl}${path}/GetSession?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_argument", message });
  });

  // connect-node's own gzip answered this INTERNAL, and bytes that are not gzip INVALID_ARGUMENT:
  // one fault, two codes. Both are INTERNAL now, as gRPC's status codes say of a message that
  // cannot be decompressed (docs/compression.md).
  it.each([
    ["cut short", Buffer.from([0x1f, 0x8b, 0x08])],
    ["not gzip", Buffer.from('{"scope":{"user_id":"u1"}}')],
  ])("answers a gzip body %s with INTERNAL", async (_what, body) => {
    const response = await fetch(`${services.sessionsUrl}${path}/ListSessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      code: "internal",
      message: expect.stringMatching(/^request message could not be decompressed \(gzip\)/),
    });
  });

  // Only JSON can carry a lone surrogate (as an escape, "\ud800"): protobuf-es clients turn one
  // into U+FFFD before it leaves, so this is a raw request.
  it.each([
    ["a state key", '"state":{"k\\ud800":"v"}'],
    [
      "a state value, with a request_id",
      '"state":{"k":["\\udfff"]},"requestId":"8f0e3a52-7c1b-4e0a-9d6f-2b5c4a1e3d70"',
    ],
    [
      "a scope value",
      '"title":"t","requestId":"0b9c7d1e-2f3a-4b5c-8d6e-7f8091a2b3c4","description":"x\\ud800"',
    ],
  ])(
    "refuses a lone surrogate in %s with INVALID_ARGUMENT, writing nothing",
    async (_where, fields) => {
      const response = await fetch(`${services.sessionsUrl}${path}/CreateSession`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"scope":{"user_id":"lone-surrogate"},${fields}}`,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "invalid_argument" });
      await using client = new SessionsServiceClient({ baseUrl: services.sessionsUrl, env: {} });
      expect(await client.listSessions({ scope: { user_id: "lone-surrogate" } })).toEqual([]);
    },
  );
});
