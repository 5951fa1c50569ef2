import * as http from "node:http";
import type { HttpRequest } from "./input.js";
import type { Outcome } from "./outcome.js";
import { readResponse } from "./response.js";

/** Sends requests over HTTP/1.1 on keep-alive connections, reopened as the server closes them. */
export interface Http1Sender {
  send(port: number, request: HttpRequest, timeoutMs: number): Promise<Outcome>;
  close(): void;
}

export function createHttp1Sender(maxSockets: number): Http1Sender {
  let agent = new http.Agent({ keepAlive: true, maxSockets });
  const send = (port: number, request: HttpRequest, timeoutMs: number, retry = true) =>
    new Promise<Outcome>((resolve) => {
      const started = performance.now();
      let settled = false;
      const settle = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = http.request({
        host: "127.0.0.1",
        port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, "content-length": `${request.body.length}` },
        agent,
      });
      const timer = setTimeout(() => {
        settle({ kind: "timeout", afterMs: Math.round(performance.now() - started) });
        req.destroy();
      }, timeoutMs);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          settle(
            readResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), res.trailers),
          ),
        );
        res.on("error", (error) => settle({ kind: "closed", reason: error.message }));
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed just as it was reused (its keep-alive
        // timeout): the request never reached it, so it goes again, on a new connection.
        if (retry && req.reusedSocket && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve(send(port, request, timeoutMs, false));
          return;
        }
        settle({ kind: "closed", reason: error.code ?? error.message });
      });
      req.end(request.body);
    });
  return {
    send: (port, request, timeoutMs) => send(port, request, timeoutMs),
    close: () => {
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets });
    },
  };
}
