// connect-node serving the streaming test service (test/proto/) on node:http2 in cleartext: the
// Connect protocol's own implementation, as the peer the Connect JSON streams are held to.
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { onTestFinished } from "vitest";
import { StreamTestService } from "../gen/streamtest/v1/stream_test_pb.js";

/** A running connect-node server. */
export interface ConnectStreamServer {
  /** E.g. "http://127.0.0.1:54321". */
  readonly url: string;
  readonly server: Http2Server;
}

/** Starts connect-node with `impl` of the test service on loopback, closed after the test. */
export async function startConnectStreamServer(
  impl: Partial<ServiceImpl<typeof StreamTestService>>,
): Promise<ConnectStreamServer> {
  const server = createServer(
    connectNodeAdapter({ routes: (router) => router.service(StreamTestService, impl) }),
  );
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    // close() waits for open sessions: end them first.
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
