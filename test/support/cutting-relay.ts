// A TCP relay whose connections can be cut (both sides reset at once, as when a replica's host
// or a proxy dies) or silenced (the server's bytes stop reaching the client while the connection
// stays open, as behind a NAT or balancer that forgot it): faults under a long-lived stream.
import { connect, createServer, type Socket } from "node:net";

export interface CuttingRelay {
  readonly url: string;
  /** Connections relayed so far. */
  opened(): number;
  /** Resets every connection open now; later ones relay as usual. */
  cut(): void;
  /** From now on, the connections open now pass nothing more from the server to the client. */
  silence(): void;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 to `upstream` (an http:// URL). */
export async function startCuttingRelay(upstream: string): Promise<CuttingRelay> {
  const { hostname, port } = new URL(upstream);
  const pairs = new Map<Socket, Socket>();
  const silenced = new WeakSet<Socket>();
  let opened = 0;
  const server = createServer({ noDelay: true }, (client) => {
    opened++;
    const out = connect({ host: hostname, port: Number(port), noDelay: true });
    pairs.set(client, out);
    client.on("data", (chunk) => out.write(chunk));
    out.on("data", (chunk) => {
      if (!silenced.has(client)) client.write(chunk);
    });
    out.on("close", () => client.destroy());
    client.on("close", () => {
      pairs.delete(client);
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
    cut() {
      for (const [client, out] of pairs) {
        client.resetAndDestroy();
        out.resetAndDestroy();
      }
    },
    silence() {
      for (const client of pairs.keys()) silenced.add(client);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client, out] of pairs) {
          client.destroy();
          out.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
