import { type ClientRequest, Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

/** Options of {@link createKeepAliveAgent}. */
export interface KeepAliveAgentOptions {
  /** Sockets open at once to the origin; calls beyond wait for one. Defaults to 64. */
  readonly maxSockets?: number | undefined;
  /** For an https:// origin: the CA to trust instead of Node's, and a client certificate (PEM). */
  readonly tls?:
    | {
        readonly ca?: string | Buffer | undefined;
        readonly cert?: string | Buffer | undefined;
        readonly key?: string | Buffer | undefined;
      }
    | undefined;
}

/**
 * An `http.Agent` (or `https.Agent`) that keeps sockets alive between calls, reuses the one freed
 * last, and closes an idle one before the server would.
 */
export interface KeepAliveAgent extends HttpAgent {
  /**
   * Closes every free socket that has idled at least as long as `socket` had when it was reused
   * and found closed by the server: they are as likely to be closed too.
   */
  retireSocketsIdleSince(socket: Socket): void;
}

/** Node's default keepAliveTimeout: what a server that announces none is assumed to use. */
const assumedServerTimeoutMs = 5_000;
/** How long before the server's keep-alive timeout the client closes an idle socket itself. */
const retireMarginMs = 1_000;
const defaultMaxSockets = 64;

const idleSince = Symbol("idle since");
const bytesReadAtReuse = Symbol("bytes read at reuse");

/** What the agent notes on a socket of its own. */
interface Marked extends Socket {
  [idleSince]?: number;
  [bytesReadAtReuse]?: number;
  /** Node's: the request using the socket, and its response. */
  _httpMessage?: { res?: { headers: Record<string, string | string[] | undefined> } } | null;
}

/** A keep-alive agent for `origin` (http: or https:). */
export function createKeepAliveAgent(
  origin: string,
  options: KeepAliveAgentOptions = {},
): KeepAliveAgent {
  const common = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? defaultMaxSockets,
    // The socket freed last is the one least likely to have been closed by the server; the others
    // idle out and retire when calls are fewer than sockets.
    scheduling: "lifo" as const,
  };
  if (origin.startsWith("https:")) {
    // ALPN tells the services' shared port to speak HTTP/1.1 without sniffing the first bytes.
    return new RetiringHttpsAgent({ ...common, ...options.tls, ALPNProtocols: ["http/1.1"] });
  }
  return new RetiringHttpAgent(common);
}

/**
 * Whether `request` failed on a socket it reused that the server had closed meanwhile: a reset or
 * a broken pipe before any byte of the response. The server never read it, so it can be sent
 * again at once on another socket.
 */
export function failedOnClosedSocket(request: ClientRequest, error: Error): boolean {
  const socket = request.socket as Marked | null;
  const code = (error as { code?: unknown }).code;
  return (
    request.reusedSocket &&
    socket !== null &&
    socket.bytesRead === socket[bytesReadAtReuse] &&
    (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED")
  );
}

/**
 * How long a socket freed by its response may idle: until a second before the server's
 * keep-alive timeout (`Keep-Alive: timeout=N`, else Node's 5 s), so that the client's close, and
 * not a request racing the server's, ends it.
 */
function idleBudgetMs(socket: Marked): number {
  const hint = socket._httpMessage?.res?.headers["keep-alive"];
  const seconds = typeof hint === "string" ? /\btimeout=(\d+)/i.exec(hint)?.[1] : undefined;
  return (seconds === undefined ? assumedServerTimeoutMs : Number(seconds) * 1000) - retireMarginMs;
}

/** Keeps a socket its response freed, until its idle budget runs out or the server ends it. */
function keepSocket(duplex: Duplex): boolean {
  const socket = duplex as Marked;
  const budgetMs = idleBudgetMs(socket);
  if (budgetMs <= 0 || socket.readableEnded) return false;
  // on(), not once(): a shared listener costs no allocation per call; reuse takes it off.
  socket.on("end", leaveWhenEnded);
  // What Node's agent does, plus the retirement: the agent closes a free socket that times out.
  socket.setKeepAlive(true, 1_000);
  socket.unref();
  socket.setTimeout(budgetMs);
  socket[idleSince] = performance.now();
  return true;
}

/** Stops the retirement of a socket a request takes, and notes how much it had read by then. */
function takeSocket(duplex: Duplex): void {
  const socket = duplex as Marked;
  socket.removeListener("end", leaveWhenEnded);
  socket.setTimeout(0);
  socket[bytesReadAtReuse] = socket.bytesRead;
}

/**
 * A free socket the server ended (it closed, or died and its kernel closed for it) leaves the
 * agent at once: Node removes it only on 'close', a loop turn or two later, and a request that
 * took it in between would fail on it.
 */
function leaveWhenEnded(this: Socket): void {
  // Destroyed first: Node's agent takes a socket that emits 'agentRemove' off its free list
  // only when it is no longer writable.
  this.destroy();
  this.emit("agentRemove");
}

function retireSocketsIdleSince(agent: HttpAgent, socket: Socket): void {
  const since = (socket as Marked)[idleSince];
  if (since === undefined) return;
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const free of sockets ?? []) {
      if (((free as Marked)[idleSince] ?? since) <= since) free.destroy();
    }
  }
}

class RetiringHttpAgent extends HttpAgent implements KeepAliveAgent {
  override keepSocketAlive(socket: Duplex): boolean {
    return keepSocket(socket);
  }
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    takeSocket(socket);
  }
  retireSocketsIdleSince(socket: Socket): void {
    retireSocketsIdleSince(this, socket);
  }
}

class RetiringHttpsAgent extends HttpsAgent implements KeepAliveAgent {
  override keepSocketAlive(socket: Duplex): boolean {
    return keepSocket(socket);
  }
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    takeSocket(socket);
  }
  retireSocketsIdleSince(socket: Socket): void {
    retireSocketsIdleSince(this, socket);
  }
}
