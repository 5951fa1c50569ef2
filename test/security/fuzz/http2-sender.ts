import * as http2 from "node:http2";
import type { HttpRequest } from "./input.js";
import type { Outcome } from "./outcome.js";
import { outcomeWithin } from "./outcome-within.js";
import { readResponse } from "./response.js";

/**
 * A client session's memory limit in MB (Node's default, said out loud). Past it, Node's own HTTP/2
 * layer refuses the headers and trailers of each response on the session and resets its stream
 * with ENHANCE_YOUR_CALM, which would read as the server's answer (or, trailers lost, as a
 * success).
 */
const maxSessionMemoryMb = 10;

/**
 * Request bytes a session may hold unsent before new streams go to a new session (a larger body
 * still goes, alone): half its limit, the rest being for headers and nghttp2's own state. Node
 * counts a body against the limit until it is sent, and never gives back what was still unsent
 * when its stream closed (seen on 20.20). The services answer an unknown path without reading the
 * body: three 4 MiB bodies to unknown paths in one run made every later answer on that port's
 * session an ENHANCE_YOUR_CALM.
 */
const maxUnsentBytes = (maxSessionMemoryMb * 1_000_000) / 2;

/**
 * Sends requests as streams of one h2c (prior knowledge) session per port, replaced when the
 * server ends it (GOAWAY, a reset connection) or when it holds too many unsent bytes.
 */
export interface Http2Sender {
  send(port: number, request: HttpRequest, timeoutMs: number): Promise<Outcome>;
  close(): void;
}

interface Pooled {
  readonly session: http2.ClientHttp2Session;
  /** Bytes of bodies in flight or never sent: at least what Node counts of them. */
  unsent: number;
  /** Streams not closed yet. */
  streams: number;
  /** Takes no new streams, and is closed once its last one closes. */
  retired: boolean;
}

export function createHttp2Sender(): Http2Sender {
  const sessions = new Map<number, Pooled>();
  /** Every session not closed yet, retired ones included. */
  const live = new Set<Pooled>();
  const session = (port: number, bytes: number): Pooled => {
    const open = sessions.get(port);
    if (open !== undefined && !open.session.closed && !open.session.destroyed) {
      if (open.unsent === 0 || open.unsent + bytes <= maxUnsentBytes) return open;
      // Not closed at once: nghttp2 would refuse the streams whose HEADERS it has not sent yet.
      open.retired = true;
      sessions.delete(port);
      if (open.streams === 0) open.session.close();
    }
    const created: Pooled = {
      session: http2.connect(`http://127.0.0.1:${port}`, { maxSessionMemory: maxSessionMemoryMb }),
      unsent: 0,
      streams: 0,
      retired: false,
    };
    // A session the server ends errors its open streams, which report it; this only keeps an
    // 'error' without a listener from throwing.
    created.session.on("error", () => {});
    const forget = () => {
      if (sessions.get(port) === created) sessions.delete(port);
    };
    created.session.on("goaway", forget);
    created.session.on("close", () => {
      forget();
      live.delete(created);
    });
    sessions.set(port, created);
    live.add(created);
    return created;
  };
  return {
    send: (port, request, timeoutMs) =>
      outcomeWithin(timeoutMs, (settle) => {
        const bytes = request.body.length;
        const pooled = session(port, bytes);
        pooled.unsent += bytes;
        pooled.streams++;
        // Node ends a GET's stream at once unless told otherwise, and then refuses its (empty) body.
        const stream = pooled.session.request(
          { ":method": request.method, ":path": request.path, ...request.headers },
          { endStream: false },
        );
        let headers: http2.IncomingHttpHeaders | undefined;
        let trailers: http2.IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => {
          headers = h;
        });
        stream.on("trailers", (t) => {
          trailers = t;
        });
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", () => {}); // reported by 'close' through rstCode
        stream.on("close", () => {
          // A body not all sent when its stream closed stays counted (see maxUnsentBytes).
          if (stream.writableFinished) pooled.unsent -= bytes;
          if (--pooled.streams === 0 && pooled.retired) pooled.session.close();
          if (headers !== undefined) {
            const status = Number(headers[":status"]);
            settle(readResponse(status, headers, Buffer.concat(chunks), trailers));
          } else if (
            stream.rstCode !== undefined &&
            stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR
          ) {
            settle({ kind: "reset", h2Code: stream.rstCode });
          } else {
            settle({ kind: "closed", reason: "stream closed without a response" });
          }
        });
        stream.end(request.body);
        return () => stream.close(http2.constants.NGHTTP2_CANCEL);
      }),
    close: () => {
      for (const { session } of live) session.destroy();
      sessions.clear();
      live.clear();
    },
  };
}
