import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type pg from "pg";
import { ChangeListeners } from "../change-listeners.js";

/** How long a first LISTEN may take before a watch fails UNAVAILABLE. */
const connectTimeoutMs = 10_000;
/** Waits between attempts to listen again after the connection broke, doubling up to the last. */
const reconnectDelaysMs = [100, 200, 500, 1_000, 2_000, 5_000];

/** How the listening connection is checked: a query every `intervalMs`, answered within `timeoutMs`. */
export interface ListenCheckOptions {
  /** Defaults to 30 s. */
  readonly intervalMs?: number;
  /** Defaults to 10 s. */
  readonly timeoutMs?: number;
}

/**
 * The channel of a schema's session changes: one per schema, so that tenants (and test schemas)
 * of one database do not hear each other; a hash, because a channel name has at most 63 bytes.
 */
export function sessionChannel(schema: string): string {
  return `contextiq_sessions_${createHash("sha256").update(schema).digest("hex").slice(0, 16)}`;
}

/**
 * Session changes from every replica, through PostgreSQL's LISTEN/NOTIFY: the stores' writes
 * `pg_notify(channel, session id)` in their transaction, delivered once it commits. One connection
 * of this process listens, made on the first watch and kept. When it breaks, it is made again and
 * every watcher is told to read again, since a change may have gone unheard in between.
 */
export class SessionNotifications {
  private readonly listeners = new ChangeListeners();
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private failures = 0;
  private checkTimer: NodeJS.Timeout | undefined;
  private readonly checkIntervalMs: number;
  private readonly checkTimeoutMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    check: ListenCheckOptions = {},
  ) {
    this.checkIntervalMs = check.intervalMs ?? 30_000;
    this.checkTimeoutMs = check.timeoutMs ?? 10_000;
  }

  /** Calls `changed` on each change to `sessionId` until stopped; resolves once listening. */
  async listen(sessionId: string, changed: () => void): Promise<() => void> {
    const stop = this.listeners.listen(sessionId, changed);
    try {
      await this.connected();
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.checkTimer);
    const client = this.client;
    this.client = undefined;
    client?.release(true);
    if (!this.pool.ended) await this.pool.end();
  }

  /** Resolves once a connection listens, failing UNAVAILABLE when none can be made in time. */
  private connected(): Promise<void> {
    if (this.client !== undefined) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectError("cannot listen for session changes now", Code.Unavailable)),
        connectTimeoutMs,
      );
    });
    return Promise.race([this.connecting, late]).finally(() => clearTimeout(timer));
  }

  /** Connects and listens, trying again after failures until it does or the store closes. */
  private async connect(): Promise<void> {
    for (;;) {
      if (this.closed) throw new ConnectError("the store is closed", Code.Unavailable);
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        const listening = client;
        listening.on("notification", (message) => {
          if (message.channel === this.channel && message.payload) {
            this.listeners.notify(message.payload);
          }
        });
        const lost = () => this.lost(listening);
        listening.once("error", lost);
        listening.once("end", lost);
        await listening.query(`LISTEN "${this.channel}"`);
        if (this.closed) throw new ConnectError("the store is closed", Code.Unavailable);
        this.client = listening;
        this.failures = 0;
        clearInterval(this.checkTimer);
        this.checkTimer = setInterval(() => this.check(listening), this.checkIntervalMs).unref();
        // Changes made while no connection listened went unheard: everyone reads again.
        this.listeners.notifyAll();
        return;
      } catch (error) {
        client?.release(true);
        if (this.closed) throw error;
        const delay = reconnectDelaysMs[Math.min(this.failures, reconnectDelaysMs.length - 1)];
        this.failures++;
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  /**
   * A connection to a database that vanished without closing it (a host gone, a NAT or proxy that
   * forgot it) delivers no notice and no error, TCP keepalive aside: a query that does not come
   * back in time takes it for lost.
   */
  private check(client: pg.PoolClient): void {
    if (this.client !== client) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no answer")), this.checkTimeoutMs).unref();
    });
    Promise.race([client.query("SELECT 1"), late])
      .catch(() => this.lost(client))
      .finally(() => clearTimeout(timer));
  }

  /** The listening connection broke: make another while watchers wait for their next change. */
  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.checkTimer);
    client.release(true);
    if (!this.closed) this.connected().catch(() => {});
  }
}
