import * as http from "node:http";
import type { HttpRequest } from "./input.js";
import type { Outcome } from "./outcome.js";
import { outcomeWithin } from "./outcome-within.js";
import { readResponse } from "./response.js";

/** Sends requests over HTTP/1.1 on keep-alive connections, reopened as the server closes them. */
export interface Http1Sender {
  send(port: number, request: HttpRequest, timeoutMs: number): Promise<Outcome>;
  close(): void;
}

export function createHttp1Sender(maxSockets: number): Http1Sender {
  let agent = new http.Agent({ keepAlive: true, maxSockets });
  const send = (
    port: number,
    request: HttpRequest,
    timeoutMs: number,
    retry = true,
  ): Promise<Outcome> =>
    outcomeWithin(timeoutMs, (settle) => {
      const req = http.request({
        host: "127.0.0.1",
        port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, "content-length": `${request.body.length}` },
        agent,
      });
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
        if (retry && req.reusedSocket && !settle.done) {
          settle(send(port, request, timeoutMs, false));
          return;
        }
        settle({ kind: "closed", reason: error.code ?? error.message });
      });
      req.end(request.body);
      return () => req.destroy();
    });
  return {
    send: (port, request, timeoutMs) => send(port, request, timeoutMs),
    close: () => {
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets });
    },
  };
}
