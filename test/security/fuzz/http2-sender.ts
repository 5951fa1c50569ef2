import * as http2 from "node:http2";
import type { HttpRequest } from "./input.js";
import type { Outcome } from "./outcome.js";
import { outcomeWithin } from "./outcome-within.js";
import { readResponse } from "./response.js";

/**
 * Sends requests as streams of one h2c (prior knowledge) session per port, replaced when the
 * server ends it (GOAWAY, a reset connection).
 */
export interface Http2Sender {
  send(port: number, request: HttpRequest, timeoutMs: number): Promise<Outcome>;
  close(): void;
}

export function createHttp2Sender(): Http2Sender {
  const sessions = new Map<number, http2.ClientHttp2Session>();
  const session = (port: number) => {
    const open = sessions.get(port);
    if (open !== undefined && !open.closed && !open.destroyed) return open;
    const created = http2.connect(`http://127.0.0.1:${port}`);
    // A session the server ends errors its open streams, which report it; this only keeps an
    // 'error' without a listener from throwing.
    created.on("error", () => {});
    created.on("goaway", () => sessions.delete(port));
    created.on("close", () => sessions.delete(port));
    sessions.set(port, created);
    return created;
  };
  return {
    send: (port, request, timeoutMs) =>
      outcomeWithin(timeoutMs, (settle) => {
        // Node ends a GET's stream at once unless told otherwise, and then refuses its (empty) body.
        const stream = session(port).request(
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
      for (const s of sessions.values()) s.destroy();
      sessions.clear();
    },
  };
}
