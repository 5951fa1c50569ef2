// TLS and mutual TLS between the facade and the reference services, over every transport, with
// certificates made at test time: a working call, and a clear error for each certificate that one
// side refuses (untrusted, wrong CA, expired, missing), never retried and writing nothing.
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  ConnectError,
  type RetryEvent,
  SessionsServiceClient,
} from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { createTestPki, type TestPki } from "../support/certificates.js";
import { clientTransports } from "../support/client-transports.js";

let pki: TestPki;
/** Serves `pki.server`; any client may connect. */
let open: RunningServices;
/** Serves `pki.server` and requires a client certificate issued by `pki.ca`. */
let mutual: RunningServices;
/** Serves `pki.expiredServer`. */
let expired: RunningServices;
/** Cleartext, for a client that expects TLS there. */
let cleartext: RunningServices;

beforeAll(async () => {
  pki = await createTestPki();
  [open, mutual, expired, cleartext] = await Promise.all([
    startServices({ tls: pki.server }),
    startServices({ tls: { ...pki.server, clientCa: pki.ca.cert } }),
    startServices({ tls: pki.expiredServer }),
    startServices(),
  ]);
});

afterAll(async () => {
  await Promise.all([open, mutual, expired, cleartext].map((s) => s?.close()));
});

describe.each(clientTransports)("TLS over %s", (_name, transport) => {
  /** Runs `use` with a client of `options`, counting its retries, and closes it. */
  async function withClient<T>(
    options: ClientOptions,
    use: (client: SessionsServiceClient, retries: RetryEvent[]) => Promise<T>,
  ): Promise<T> {
    const retries: RetryEvent[] = [];
    const client = new SessionsServiceClient({
      ...transport,
      retryDelayMs: 1,
      onRetry: (event) => retries.push(event),
      ...options,
    });
    try {
      return await use(client, retries);
    } finally {
      await client.close();
    }
  }

  /** The error of a create that must fail at once, and proof that it wrote nothing. */
  async function refusedCreate(services: RunningServices, options: ClientOptions) {
    const scope = { user_id: randomUUID() };
    const error = await withClient(
      { baseUrl: services.sessionsUrl, ...options },
      (client, retries) =>
        client.createSession({ scope }).then(
          () => expect.fail("the call succeeded"),
          (e: unknown) => {
            expect(retries).toEqual([]);
            return ConnectError.from(e);
          },
        ),
    );
    // Seen through a client the server accepts: nothing was stored.
    await withClient(
      { baseUrl: services.sessionsUrl, tls: { ca: pki.ca.cert, ...pki.client } },
      async (client) => expect(await client.listSessions({ scope })).toEqual([]),
    );
    return error;
  }

  it("creates and reads a session over https:// with the CA given", async () => {
    expect(open.sessionsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await withClient({ baseUrl: open.sessionsUrl, tls: { ca: pki.ca.cert } }, async (client) => {
      const session = await client.createSession({ scope: { user_id: "u1" }, title: "over TLS" });
      expect((await client.getSession(session.id)).title).toBe("over TLS");
    });
  });

  it("creates a session with a client certificate when the server requires one", async () => {
    await withClient(
      { baseUrl: mutual.sessionsUrl, tls: { ca: pki.ca.cert, ...pki.client } },
      async (client) => {
        const session = await client.createSession({ scope: { user_id: "u2" } });
        expect((await client.getSession(session.id)).id).toBe(session.id);
      },
    );
  });

  it("refuses a server whose CA it was not given (Node's bundled CAs only)", async () => {
    const error = await refusedCreate(mutual, {});
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(
      /^TLS with https:\/\/127\.0\.0\.1:\d+ failed: the server's certificate is not issued by a CA this client trusts: give that CA with option `tls.ca` \(or \*_SERVICE_CA_FILE\) \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)$/,
    );
  });

  it("refuses a server whose certificate another CA issued", async () => {
    const error = await refusedCreate(open, { tls: { ca: pki.otherCa.cert } });
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/not issued by a CA this client trusts.*UNABLE_TO_VERIFY/);
  });

  it("refuses a server whose certificate has expired", async () => {
    const scope = { user_id: randomUUID() };
    await withClient(
      { baseUrl: expired.sessionsUrl, tls: { ca: pki.ca.cert } },
      async (client, retries) => {
        const error = ConnectError.from(
          await client.createSession({ scope }).catch((e: unknown) => e),
        );
        expect(error.code).toBe(Code.Unavailable);
        expect(error.rawMessage).toMatch(
          /failed: the server's certificate has expired: the server must renew it \(CERT_HAS_EXPIRED\)$/,
        );
        expect(retries).toEqual([]);
      },
    );
  });

  it("keeps saying why, call after call: TLS failures do not open the circuit breaker", async () => {
    await withClient({ baseUrl: expired.sessionsUrl, tls: { ca: pki.ca.cert } }, async (client) => {
      // The breaker opens after 10 failures it counts, by default.
      for (let call = 0; call < 25; call++) {
        const error = ConnectError.from(await client.getSession(randomUUID()).catch((e) => e));
        expect(error.rawMessage).toMatch(/\(CERT_HAS_EXPIRED\)$/);
      }
    });
  });

  // The server judges client certificates per call (see client-certificate.ts), so a refusal is
  // UNAUTHENTICATED with the reason, which no retry changes.
  it("is refused by a server that requires a client certificate, when it has none", async () => {
    const error = await refusedCreate(mutual, { tls: { ca: pki.ca.cert } });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(
      "this server requires a client certificate (mutual TLS), and the connection presented none",
    );
  });

  it("is refused with a client certificate from another CA", async () => {
    const error = await refusedCreate(mutual, { tls: { ca: pki.ca.cert, ...pki.otherClient } });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toMatch(
      /^the client certificate was refused: no CA this server trusts issued it \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN)\); present a valid certificate/,
    );
  });

  it("is refused with an expired client certificate", async () => {
    const error = await refusedCreate(mutual, { tls: { ca: pki.ca.cert, ...pki.expiredClient } });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toMatch(
      /^the client certificate was refused: it has expired \(CERT_HAS_EXPIRED\)/,
    );
  });

  it("says so when the server does not speak TLS", async () => {
    const baseUrl = cleartext.sessionsUrl.replace("http:", "https:");
    await withClient({ baseUrl, tls: { ca: pki.ca.cert } }, async (client, retries) => {
      const error = ConnectError.from(await client.getSession(randomUUID()).catch((e) => e));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.rawMessage).toMatch(
        /the server does not speak TLS on this port.*\(ERR_SSL_WRONG_VERSION_NUMBER\)$/,
      );
      expect(retries).toEqual([]);
    });
  });
});

describe("mutual TLS", () => {
  it("refuses a client without a certificate that tries to resume an earlier session", async () => {
    const { port } = new URL(mutual.sessionsUrl);
    const scope = { user_id: randomUUID() };
    const body = JSON.stringify({ scope });
    /** One CreateSession over a TLS connection of its own: the status line, and the ticket. */
    const create = (session?: Buffer) =>
      new Promise<{ status: string; ticket: Buffer | undefined; reused: boolean }>(
        (resolve, reject) => {
          const socket = tls.connect({
            host: "127.0.0.1",
            port: Number(port),
            ca: pki.ca.cert,
            servername: "localhost",
            ALPNProtocols: ["http/1.1"],
            ...(session ? { session } : {}),
          });
          let ticket: Buffer | undefined;
          let received = "";
          socket.on("session", (value: Buffer) => {
            ticket = value;
          });
          socket.setEncoding("latin1");
          socket.on("data", (chunk: string) => {
            received += chunk;
          });
          socket.once("error", reject);
          socket.once("secureConnect", () =>
            socket.write(
              `POST /contextiq.sessions.v1.SessionsService/CreateSession HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
            ),
          );
          socket.once("close", () =>
            resolve({
              status: received.split("\r\n")[0] ?? "",
              ticket,
              reused: socket.isSessionReused(),
            }),
          );
        },
      );
    const first = await create();
    expect(first.status).toBe("HTTP/1.1 401 Unauthorized");
    const again = await create(first.ticket);
    expect(again.status).toBe("HTTP/1.1 401 Unauthorized");
    const client = new SessionsServiceClient({
      baseUrl: mutual.sessionsUrl,
      tls: { ca: pki.ca.cert, ...pki.client },
      env: {},
    });
    try {
      expect(await client.listSessions({ scope })).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe("one TLS port", () => {
  /** The protocol ALPN settles on when the client offers `offer`, and what GET /health answers. */
  function negotiate(
    offer: string[] | undefined,
  ): Promise<{ alpn: string | false | null; head: string }> {
    const { port } = new URL(open.sessionsUrl);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port: Number(port),
        ca: pki.ca.cert,
        ...(offer ? { ALPNProtocols: offer } : {}),
      });
      socket.once("error", reject);
      socket.once("secureConnect", () => {
        const alpn = socket.alpnProtocol;
        if (alpn === "h2") {
          socket.destroy();
          resolve({ alpn, head: "" });
          return;
        }
        let head = "";
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => {
          head += chunk;
        });
        socket.once("end", () => resolve({ alpn, head: head.split("\r\n")[0] ?? "" }));
        socket.write("GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
      });
    });
  }

  it("speaks HTTP/2 and HTTP/1.1 by ALPN, and HTTP/1.1 to a client that offers none", async () => {
    expect((await negotiate(["h2", "http/1.1"])).alpn).toBe("h2");
    expect(await negotiate(["http/1.1"])).toEqual({ alpn: "http/1.1", head: "HTTP/1.1 200 OK" });
    expect(await negotiate(undefined)).toEqual({ alpn: false, head: "HTTP/1.1 200 OK" });
  });

  it("answers health over HTTP/2 without a client certificate, even where calls need one", async () => {
    const session = http2.connect(mutual.sessionsUrl, { ca: pki.ca.cert });
    try {
      const status = await new Promise((resolve, reject) => {
        session.once("error", reject);
        const stream = session.request({ ":path": "/health" });
        stream.once("response", (headers) => resolve(headers[":status"]));
        stream.once("error", reject);
        stream.resume();
      });
      expect(status).toBe(200);
    } finally {
      session.destroy();
    }
  });

  it("closes a cleartext request sent to the TLS port", async () => {
    // Not a ClientHello: the handshake fails and the server drops the connection.
    const { port } = new URL(open.sessionsUrl);
    const response = await fetch(`http://127.0.0.1:${port}/health`).catch((e: unknown) => e);
    expect(response).toBeInstanceOf(Error);
  });
});
