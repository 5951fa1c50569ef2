// A TCP relay whose idle connections can be dropped under the client: the upstream side is
// closed and the client is not told, as when a server's keep-alive timeout closes a socket while
// a busy client has not yet read the FIN, or a NAT or load balancer forgets an idle connection.
// The client learns it only by writing: its next request is answered with a reset (RST).
import { connect, createServer, type Socket } from "node:net";

export interface DroppingRelay {
  readonly url: string;
  /** Connections clients opened through the relay so far. */
  opened(): number;
  /** Connections still open on the client's side. */
  open(): number;
  /** Requests written on dropped connections, each answered with a reset. */
  resets(): number;
  /** Drops every connection open now: later ones relay as usual. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts a relay to `upstream` (an http:// URL). */
export async function startDroppingRelay(upstream: string): Promise<DroppingRelay> {
  const { hostname, port } = new URL(upstream);
  const clients = new Map<Socket, Socket>();
  const dropped = new WeakSet<Socket>();
  let opened = 0;
  let resets = 0;
  const server = createServer((client) => {
    opened++;
    const out = connect(Number(port), hostname);
    clients.set(client, out);
    client.on("data", (chunk) => {
      if (dropped.has(client)) {
        resets++;
        client.resetAndDestroy();
      } else {
        out.write(chunk);
      }
    });
    out.on("data", (chunk) => client.write(chunk));
    // Closes that the relay did not cause travel on, as through a plain relay.
    out.on("close", () => dropped.has(client) || client.destroy());
    client.on("close", () => {
      clients.delete(client);
      out.destroy();
    });
    client.on("error", () => {});
    out.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: relayPort } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${relayPort}`,
    opened: () => opened,
    open: () => clients.size,
    resets: () => resets,
    dropConnections() {
      for (const [client, out] of clients) {
        dropped.add(client);
        out.destroy();
      }
    },
    async close() {
      for (const client of clients.keys()) client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
