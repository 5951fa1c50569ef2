// Preloaded into a fleet replica's child process by fleet.ts (`--import`): counts the RPCs the
// process's HTTP servers receive, by path, and reports them to the test process over the IPC
// channel. An instrument apart from the clients under test: it sees what each replica served,
// whichever client, proxy or retry sent it.
import * as http from "node:http";
import * as http2 from "node:http2";

/** Sent by the child: calls received since its last report, by path. */
export interface ServedReport {
  readonly type: "contextiq:served";
  readonly counts: Record<string, number>;
}

/** Sent by the parent: report what is pending now, then answer with a {@link Flushed}. */
export interface FlushRequest {
  readonly type: "contextiq:flush";
  readonly id: number;
}

/** The child's answer to a {@link FlushRequest}, after every report before it. */
export interface Flushed {
  readonly type: "contextiq:flushed";
  readonly id: number;
}

let pending = new Map<string, number>();
let scheduled = false;

function count(path: string | undefined): void {
  const bare = path?.split("?")[0];
  // Health checks (a proxy's, the test's start-up polls) are not calls of the services.
  if (!bare || bare === "/health" || bare.startsWith("/grpc.health.v1.")) return;
  pending.set(bare, (pending.get(bare) ?? 0) + 1);
  // One report per event-loop turn rather than one per call.
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  if (pending.size === 0 || !process.connected) return;
  process.send?.({ type: "contextiq:served", counts: Object.fromEntries(pending) });
  pending = new Map();
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

// On the prototypes, so every server counts however it was made. An HTTP/1.1 server emits
// 'request' per request; an HTTP/2 server 'stream' per stream (its 'request' is the same call).
const http1 = http.Server.prototype as unknown as { emit: Emit };
const http1Emit = http1.emit;
http1.emit = function (event, ...args) {
  if (event === "request") count((args[0] as http.IncomingMessage).url);
  return http1Emit.call(this, event, ...args);
};
const h2 = Object.getPrototypeOf(http2.createServer()) as { emit: Emit };
const h2Emit = h2.emit;
h2.emit = function (event, ...args) {
  if (event === "stream") count((args[1] as http2.IncomingHttpHeaders)[":path"]);
  return h2Emit.call(this, event, ...args);
};

process.on("message", (message: FlushRequest) => {
  if (message?.type !== "contextiq:flush") return;
  flush();
  process.send?.({ type: "contextiq:flushed", id: message.id } satisfies Flushed);
});
// A 'message' listener must not keep the child alive: see exit-with-parent.ts.
process.channel?.unref();
