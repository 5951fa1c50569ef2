// A TCP relay that counts the bytes each way, whatever the protocol on top (HTTP/1.1, HTTP/2,
// TLS): what a client and a server put on the wire, measured outside both.
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/** Bytes relayed so far: `up` from clients to the server, `down` back. */
export interface RelayedBytes {
  readonly up: number;
  readonly down: number;
}

export interface CountingRelay {
  /** The relay's base URL, e.g. "http://127.0.0.1:54321", in place of the server's. */
  readonly url: string;
  /** What has crossed the relay since it started, or since `reset()`. */
  bytes(): RelayedBytes;
  reset(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, relaying every connection to the host and port of `upstreamUrl`. */
export async function startCountingRelay(upstreamUrl: string): Promise<CountingRelay> {
  const upstreamAt = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  let up = 0;
  let down = 0;
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({
      host: upstreamAt.hostname,
      port: Number(upstreamAt.port),
      noDelay: true,
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.on("data", (chunk: Buffer) => {
      up += chunk.byteLength;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      down += chunk.byteLength;
      client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${upstreamAt.protocol}//127.0.0.1:${port}`,
    bytes: () => ({ up, down }),
    reset() {
      up = 0;
      down = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
