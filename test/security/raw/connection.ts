// A raw HTTP/2 client connection over a net.Socket: it writes whatever frames the test hands it, in
// one write each time, and records what the server sends back per stream. It answers the server's
// SETTINGS and PINGs, as any client must, and nothing else on its own.
import * as net from "node:net";
import {
  clientPreface,
  errorCode,
  type Frame,
  FrameReader,
  frameFlag,
  frameType,
  type Goaway,
  parseGoaway,
  parseSettings,
  pingFrame,
  settingsAckFrame,
  settingsFrame,
} from "./frames.js";
import { HeaderBlockDecoder, type HeaderField } from "./hpack.js";

/** What the server sent on one stream. */
export interface RawStream {
  /** Header blocks in order: the response headers, then the trailers. */
  readonly headerBlocks: HeaderField[][];
  /** The DATA payloads, joined. */
  data: Buffer;
  /** The server ended the stream (END_STREAM). */
  ended: boolean;
  /** The code of the server's RST_STREAM, if it reset the stream. */
  rstCode: number | undefined;
  /** When that RST_STREAM arrived (performance.now()). */
  resetAt: number | undefined;
}

/** An HTTP/2 client connection that does what the test says, whatever the server's SETTINGS. */
export class RawHttp2Connection {
  readonly socket: net.Socket;
  readonly streams = new Map<number, RawStream>();
  /** The server's first SETTINGS, once it arrived. */
  remoteSettings: Map<number, number> | undefined;
  /** The server's GOAWAY, if it sent one. */
  goaway: Goaway | undefined;
  #closed = false;
  #nextStreamId = 1;
  #pings = 0;
  readonly #pingAcks = new Set<number>();
  readonly #reader = new FrameReader();
  readonly #decoder = new HeaderBlockDecoder();
  readonly #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.#reader.push(chunk)) this.#receive(frame);
      this.#notify();
    });
    // A reset is one way the server may end things; `closed` reports it either way.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /**
   * Opens a TCP connection to `port` and sends the client preface and an empty SETTINGS frame at
   * once, without waiting for the server's SETTINGS (acknowledged whenever they arrive).
   */
  static async connect(port: number): Promise<RawHttp2Connection> {
    const socket = net.connect(port, "127.0.0.1").setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const connection = new RawHttp2Connection(socket);
    connection.write(clientPreface, settingsFrame());
    return connection;
  }

  /** Whether the socket has closed, by either side. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The next client stream id (odd, increasing), recorded from now on. */
  newStream(): number {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    this.streams.set(id, {
      headerBlocks: [],
      data: Buffer.alloc(0),
      ended: false,
      rstCode: undefined,
      resetAt: undefined,
    });
    return id;
  }

  stream(id: number): RawStream {
    const stream = this.streams.get(id);
    if (stream === undefined) throw new Error(`stream ${id} was never opened`);
    return stream;
  }

  /** Writes `frames` in one write, unless the socket has closed already. */
  write(...frames: Uint8Array[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  /**
   * Resolves once the server has answered a PING sent now, and so has processed every frame
   * written before it.
   */
  async ping(timeoutMs = 5_000): Promise<void> {
    const id = ++this.#pings;
    const opaque = Buffer.alloc(8);
    opaque.writeUInt32BE(id, 4);
    this.write(pingFrame(opaque));
    await this.until(() => this.#pingAcks.has(id), timeoutMs, `the answer to PING ${id}`);
  }

  /** Resolves once `condition` holds, checked after every batch of frames and on close. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`raw HTTP/2: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #receive(frame: Frame): void {
    const stream = this.streams.get(frame.streamId);
    switch (frame.type) {
      case frameType.settings:
        if (!(frame.flags & frameFlag.ack)) {
          this.remoteSettings ??= parseSettings(frame.payload);
          this.write(settingsAckFrame);
        }
        break;
      case frameType.ping:
        if (frame.flags & frameFlag.ack) this.#pingAcks.add(frame.payload.readUInt32BE(4));
        else this.write(pingFrame(frame.payload, true));
        break;
      case frameType.goaway:
        this.goaway = parseGoaway(frame.payload);
        break;
      case frameType.headers: {
        // Decoded even for an unknown stream: the dynamic table depends on every block.
        const fields = this.#decoder.decode(frame.payload);
        stream?.headerBlocks.push(fields);
        if (stream && frame.flags & frameFlag.endStream) stream.ended = true;
        break;
      }
      case frameType.data:
        if (stream) {
          stream.data = Buffer.concat([stream.data, frame.payload]);
          if (frame.flags & frameFlag.endStream) stream.ended = true;
        }
        break;
      case frameType.rstStream:
        if (stream) {
          stream.rstCode = frame.payload.readUInt32BE(0);
          stream.resetAt = performance.now();
        }
        break;
    }
  }

  #notify(): void {
    for (const check of [...this.#waiters]) check();
  }
}

/** The last value of header `name` in `fields`. */
export function headerValue(fields: readonly HeaderField[] | undefined, name: string) {
  return fields?.findLast(([n]) => n === name)?.[1];
}

/** The name of an HTTP/2 error code, for messages. */
export function errorName(code: number | undefined): string {
  const entry = Object.entries(errorCode).find(([, value]) => value === code);
  return entry?.[0] ?? String(code);
}
