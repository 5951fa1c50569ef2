// Slow clients for the slow-loris tests: connections that send little or nothing, or a byte every
// 100 ms, each recording when (and whether) the server closed it.
import { once } from "node:events";
import * as net from "node:net";
import type { RawHttp2Connection } from "./connection.js";

/** One slow connection, and what the server did to it. */
export class SlowConnection<Kind extends string = string> {
  readonly openedAt = performance.now();
  /** When the server ended or reset the connection, in ms after it opened. */
  closedAfterMs: number | undefined;
  /** What the server sent, in latin1 (raw HTTP/2 connections keep their own record). */
  received = "";
  readonly #closed: Promise<number>;

  /** `raw` for a raw HTTP/2 connection; `streamId`, its slow stream if it has one. */
  constructor(
    readonly kind: Kind,
    readonly socket: net.Socket,
    readonly raw?: RawHttp2Connection,
    readonly streamId?: number,
  ) {
    // The server may reset rather than end: either way it closed the connection.
    socket.on("error", () => {});
    if (!raw) {
      socket.on("data", (data: Buffer) => {
        this.received += data.toString("latin1");
      });
    }
    this.#closed = new Promise((resolve) => {
      const closed = () => {
        this.closedAfterMs ??= performance.now() - this.openedAt;
        resolve(this.closedAfterMs);
      };
      socket.once("end", closed);
      socket.once("close", closed);
    });
  }

  /** Ms after opening when the server closed it, or undefined if it is open `limitMs` after. */
  closedWithin(limitMs: number): Promise<number | undefined> {
    const left = this.openedAt + limitMs - performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, left));
    });
    return Promise.race([this.#closed, late]).finally(() => clearTimeout(timer));
  }

  /** The RST_STREAM of its slow stream: the code, and when, in ms after opening. */
  reset(): { code: number | undefined; afterMs: number | undefined } {
    const stream = this.streamId === undefined ? undefined : this.raw?.stream(this.streamId);
    const resetAt = stream?.resetAt;
    return {
      code: stream?.rstCode,
      afterMs: resetAt === undefined ? undefined : resetAt - this.openedAt,
    };
  }
}

/** Slow connections of several kinds, every one recorded; dribbling ones send a piece every 100 ms. */
export class SlowClients<Kind extends string> {
  readonly connections: SlowConnection<Kind>[] = [];
  /** Each sends its next piece; false when it has no more to send. */
  readonly #dribblers = new Set<() => boolean>();
  #ticker: NodeJS.Timeout | undefined;

  of(kind: Kind): SlowConnection<Kind>[] {
    return this.connections.filter((c) => c.kind === kind);
  }

  async tcp(kind: Kind, port: number): Promise<SlowConnection<Kind>> {
    const socket = net.connect(port, "127.0.0.1").setNoDelay(true);
    socket.on("error", () => {});
    await once(socket, "connect");
    return this.add(new SlowConnection(kind, socket));
  }

  add(connection: SlowConnection<Kind>): SlowConnection<Kind> {
    this.connections.push(connection);
    return connection;
  }

  /**
   * Sends `bytes` one at a time, each as `wrap` makes it, the first now and then one every 100 ms,
   * until they run out or the server closes the socket.
   */
  dribble(socket: net.Socket, bytes: Uint8Array, wrap: (byte: Uint8Array) => Uint8Array): void {
    let next = 0;
    const send = () => {
      if (next >= bytes.length || socket.destroyed || socket.readableEnded) return false;
      socket.write(wrap(bytes.subarray(next, ++next)));
      return true;
    };
    send();
    this.#dribblers.add(send);
    this.#ticker ??= setInterval(() => {
      for (const dribbler of this.#dribblers) {
        if (!dribbler()) this.#dribblers.delete(dribbler);
      }
    }, 100);
  }

  /** Stops dribbling and destroys every connection still open. */
  stop(): void {
    clearInterval(this.#ticker);
    this.#dribblers.clear();
    for (const connection of this.connections) connection.socket.destroy();
  }
}
