// A TCP relay that holds every chunk the server sends for `delayMs` before passing it on, in
// order: a slow replica, whatever the protocol on top (HTTP/1.1, HTTP/2). What the client sends
// goes through at once, so every answer, the first SETTINGS of HTTP/2 included, comes late.
import { connect, createServer, type Socket } from "node:net";

export interface DelayingRelay {
  /** From now on, nothing more the server sends reaches the clients: their calls stay in flight. */
  hold(): void;
  close(): Promise<void>;
}

/** Listens on `host`:`port` and relays to `upstreamHost`:`upstreamPort`. */
export async function startDelayingRelay(options: {
  host: string;
  port: number;
  upstreamHost: string;
  upstreamPort: number;
  delayMs: number;
}): Promise<DelayingRelay> {
  const sockets = new Set<Socket>();
  let holding = false;
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({
      host: options.upstreamHost,
      port: options.upstreamPort,
      noDelay: true,
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.on("data", (chunk) => upstream.write(chunk));
    client.on("close", () => upstream.destroy());
    const later = delayed(options.delayMs);
    upstream.on("data", (chunk) => {
      if (!holding) later(() => client.write(chunk));
    });
    upstream.on("close", () => {
      if (!holding) later(() => client.end());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    hold() {
      holding = true;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Runs each action given to it `delayMs` after it was given, in order. Timed with
 * performance.now(): a timer's own clock is whole milliseconds and may fire up to one early.
 */
function delayed(delayMs: number): (action: () => void) => void {
  const queue: { due: number; action: () => void }[] = [];
  let scheduled = false;
  const run = () => {
    while ((queue[0]?.due ?? Number.POSITIVE_INFINITY) <= performance.now())
      queue.shift()?.action();
    const next = queue[0];
    scheduled = next !== undefined;
    if (next) setTimeout(run, Math.max(1, Math.ceil(next.due - performance.now())));
  };
  return (action) => {
    queue.push({ due: performance.now() + delayMs, action });
    if (!scheduled) {
      scheduled = true;
      setTimeout(run, delayMs);
    }
  };
}
