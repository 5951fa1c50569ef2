// The fuzzer's HTTP/2 sender must report what the server answered, never its own client's refusal.
// Node counts request bodies against a client session's maxSessionMemory (10 MB) until they are
// sent, and keeps counting what a stream never sent: past the limit it resets the stream of every
// response on the session with ENHANCE_YOUR_CALM itself. These servers answer every request; a
// reset or a timeout here is the sender's own doing.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttp2Sender, type Http2Sender } from "./http2-sender.js";
import type { HttpRequest } from "./input.js";

const servers: http2.Http2Server[] = [];
const senders: Http2Sender[] = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

describe("the fuzzer's HTTP/2 sender", () => {
  it("still gets answers after more bodies than a session's memory that the server never read", async () => {
    // Answers from the headers alone and stops the upload without error (RFC 9113 §8.1), as the
    // services do for an unknown path.
    const port = await listen((stream) => {
      stream.respond({ ":status": 404 }, { endStream: true });
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    const sender = createSender();
    // 20 x 600 kB left unsent: 12 MB, over the 10 MB limit, had they stayed on one session.
    for (let i = 0; i < 20; i++) {
      expect(await sender.send(port, post(600_000), 5_000), `call ${i + 1}`).toEqual({
        kind: "response",
        status: 404,
      });
      expect(await sender.send(port, post(10), 5_000), `after call ${i + 1}`).toEqual({
        kind: "response",
        status: 404,
      });
    }
  });

  it("gets every answer while bodies over a session's memory are in flight", async () => {
    const port = await listen((stream) => {
      stream.resume();
      stream.on("end", () => stream.respond({ ":status": 400 }, { endStream: true }));
    });
    const sender = createSender();
    // Three bodies of the fuzz's largest size (4 MiB + 1) and small ones, all at once.
    const sizes = [...Array<number>(3).fill(4 * 1024 * 1024 + 1), ...Array<number>(10).fill(10)];
    const outcomes = await Promise.all(sizes.map((size) => sender.send(port, post(size), 5_000)));
    expect(outcomes).toEqual(sizes.map(() => ({ kind: "response", status: 400 })));
  });
});

function createSender(): Http2Sender {
  const sender = createHttp2Sender();
  senders.push(sender);
  return sender;
}

function post(bytes: number): HttpRequest {
  return { wire: "h2", method: "POST", path: "/x", headers: {}, body: new Uint8Array(bytes) };
}

async function listen(onStream: (stream: http2.ServerHttp2Stream) => void): Promise<number> {
  const server = http2.createServer();
  servers.push(server);
  server.on("stream", onStream);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}
