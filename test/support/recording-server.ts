// A plain node:http or node:http2 (h2c) server that records every request as it arrived and
// answers what the test tells it to: an outside witness of what a client puts on the wire.
import { createServer as createHttp1Server, type IncomingHttpHeaders } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";

/** One request, as the server read it. */
export interface RecordedRequest {
  readonly httpVersion: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the server sends back for one request. */
export interface CannedAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

type Request = Readable & {
  httpVersion: string;
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
};
type Response = {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string | Buffer): unknown;
};

/** Starts a server on 127.0.0.1 that answers each request with `answer(request)`. */
export async function startRecordingServer(
  httpVersion: "1.1" | "2",
  answer: (request: RecordedRequest) => CannedAnswer,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const handle = (req: Request, res: Response) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        httpVersion: req.httpVersion,
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const { status, headers, body } = answer(recorded);
      res.writeHead(status, headers);
      res.end(body);
    });
  };
  const sessions = new Set<ServerHttp2Session>();
  const server =
    httpVersion === "2"
      ? createHttp2Server((req: Http2ServerRequest, res: Http2ServerResponse) => handle(req, res))
      : createHttp1Server((req, res) => handle(req, res));
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      // An HTTP/2 server's close() waits for its sessions, and an HTTP/1.1 one for keep-alive sockets.
      for (const session of sessions) session.destroy();
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
