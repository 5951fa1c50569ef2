// The certificates from createTestPki, checked by node:crypto and then used for real over
// loopback by node:tls, node:https and node:http2, as server and as client. The outcomes asserted
// here are the ones documented at the top of certificates.ts: what each side sees when
// verification fails, over TLS 1.3.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { EventEmitter, once } from "node:events";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestPki, type KeyPair, type TestPki } from "./certificates.js";

const dayMs = 24 * 60 * 60 * 1000;

let pki: TestPki;
let pkiMs: number;

beforeAll(async () => {
  const start = performance.now();
  pki = await createTestPki();
  pkiMs = performance.now() - start;
});

describe("createTestPki", () => {
  test("takes well under two seconds", () => {
    expect(pkiMs).toBeLessThan(2000);
  });

  test("issues the server certificate from ca, for localhost, 127.0.0.1 and ::1, valid now", () => {
    const ca = new X509Certificate(pki.ca.cert);
    const server = new X509Certificate(pki.server.cert);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subject).toBe("CN=localhost");
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkIP("::1")).toBe("::1");
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth
    expect(server.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    expect(server.checkPrivateKey(createPrivateKey(pki.server.key))).toBe(true);
    expect(Date.parse(server.validFrom)).toBeLessThan(Date.now());
    expect(Date.parse(server.validTo)).toBeGreaterThan(Date.now());
  });

  test("issues the client certificate from ca, for clientAuth, valid now", () => {
    const client = new X509Certificate(pki.client.cert);
    expect(client.checkIssued(new X509Certificate(pki.ca.cert))).toBe(true);
    expect(client.subject).toBe("CN=contextiq-test-client");
    expect(client.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // clientAuth
    expect(client.checkPrivateKey(createPrivateKey(pki.client.key))).toBe(true);
    expect(Date.parse(client.validFrom)).toBeLessThan(Date.now());
    expect(Date.parse(client.validTo)).toBeGreaterThan(Date.now());
  });

  test("issues the expired certificates from ca, valid from two days ago until a day ago", () => {
    const ca = new X509Certificate(pki.ca.cert);
    for (const pair of [pki.expiredServer, pki.expiredClient]) {
      const cert = new X509Certificate(pair.cert);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(Date.parse(cert.validFrom)).toBeLessThan(Date.now() - 1.9 * dayMs);
      expect(Date.parse(cert.validTo)).toBeLessThan(Date.now() - 0.9 * dayMs);
    }
    expect(new X509Certificate(pki.expiredServer.cert).checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  test("issues the other certificates from otherCa, not from ca", () => {
    const ca = new X509Certificate(pki.ca.cert);
    const otherCa = new X509Certificate(pki.otherCa.cert);
    expect(otherCa.checkIssued(ca)).toBe(false);
    for (const pair of [pki.otherServer, pki.otherClient]) {
      const cert = new X509Certificate(pair.cert);
      expect(cert.checkIssued(ca)).toBe(false);
      expect(cert.checkIssued(otherCa)).toBe(true);
    }
    expect(new X509Certificate(pki.otherServer.cert).checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  test("gives every certificate its own serial number and key, and new ones on each call", async () => {
    const pairs = Object.values(pki);
    const serials = pairs.map((pair) => new X509Certificate(pair.cert).serialNumber);
    expect(new Set(serials).size).toBe(pairs.length);
    expect(new Set(pairs.map((pair) => pair.key)).size).toBe(pairs.length);
    const again = await createTestPki();
    expect(again.ca.cert).not.toBe(pki.ca.cert);
    expect(again.ca.key).not.toBe(pki.ca.key);
  });
});

type Protocol = "tls" | "https" | "http2";
type ServerCert = "server" | "otherServer" | "expiredServer";
type ClientCert = "client" | "otherClient" | "expiredClient";

/** What a test server saw of one connection. */
type ServerSaw =
  | { event: "secureConnection"; authorized: boolean }
  | { event: "tlsClientError"; code: string | undefined; authorizationError: string | null };

interface TestServer {
  readonly port: number;
  /** Emits "saw" with a ServerSaw for each connection. */
  readonly events: EventEmitter;
  close(): Promise<void>;
}

/**
 * Starts a `protocol` server on 127.0.0.1 with the certificate `cert`, requiring a client
 * certificate issued by ca. It answers "hello" (a tls socket ends with it, HTTP responds 200).
 */
async function startServer(protocol: Protocol, cert: KeyPair): Promise<TestServer> {
  const options = {
    key: cert.key,
    cert: cert.cert,
    ca: pki.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
  };
  const respond = (_request: unknown, response: { end(body: string): void }) =>
    response.end("hello");
  const server =
    protocol === "tls"
      ? tls.createServer(options, (socket) => socket.end("hello"))
      : protocol === "https"
        ? https.createServer(options, respond)
        : http2.createSecureServer(options, respond);
  const events = new EventEmitter();
  server.on("secureConnection", (socket: tls.TLSSocket) =>
    events.emit("saw", { event: "secureConnection", authorized: socket.authorized }),
  );
  server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: tls.TLSSocket) =>
    events.emit("saw", {
      event: "tlsClientError",
      code: error.code,
      // A verification error's code, typed as an Error in @types/node.
      authorizationError: (socket.authorizationError as unknown as string | null) ?? null,
    }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    events,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        if (server instanceof https.Server) server.closeAllConnections();
      }),
  };
}

/** The TLS options of a client that trusts `trust` and presents `cert`, if any. */
function clientOptions(trust: "ca" | "otherCa", cert: ClientCert | undefined) {
  return { ca: pki[trust].cert, ...(cert === undefined ? {} : pki[cert]) };
}

/** What a tls client saw: whether it finished its handshake, its error, the data it read. */
interface TlsSaw {
  secureConnect: boolean;
  error: string | undefined;
  data: string;
}

/** What an https request saw: a response or an error. */
type HttpsSaw = { status: number } | { error: string };

/** What an http2 session and its one stream saw. */
interface Http2Saw {
  connect: boolean;
  sessionError: string | undefined;
  streamError: string | undefined;
  status: number | undefined;
  rstCode: number | undefined;
  /** Whether the session emitted 'close' within 200 ms of the stream closing. */
  sessionClose: boolean;
}

interface ClientSaw {
  tls: TlsSaw;
  https: HttpsSaw;
  http2: Http2Saw;
}

const attempts: { [P in Protocol]: (port: number, options: object) => Promise<ClientSaw[P]> } = {
  /** Connects and reads to the end, without writing. */
  tls: async (port, options: tls.ConnectionOptions) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...options });
    const saw: TlsSaw = { secureConnect: false, error: undefined, data: "" };
    socket.on("secureConnect", () => {
      saw.secureConnect = true;
    });
    socket.on("data", (chunk: Buffer) => {
      saw.data += chunk;
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      saw.error = error.code;
    });
    await closed(socket);
    return saw;
  },

  /** GET / through an Agent with `options`. */
  https: async (port, options: https.AgentOptions) => {
    const agent = new https.Agent(options);
    try {
      return await new Promise<HttpsSaw>((resolve) => {
        https
          .get({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
            response.resume();
            resolve({ status: response.statusCode ?? 0 });
          })
          .on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? "" }));
      });
    } finally {
      agent.destroy();
    }
  },

  /** Opens a session, requests GET / at once, and closes the session when the stream closes. */
  http2: async (port, options: http2.SecureClientSessionOptions) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, options);
    const saw: Http2Saw = {
      connect: false,
      sessionError: undefined,
      streamError: undefined,
      status: undefined,
      rstCode: undefined,
      sessionClose: false,
    };
    session.on("connect", () => {
      saw.connect = true;
    });
    session.on("error", (error: NodeJS.ErrnoException) => {
      saw.sessionError = error.code;
    });
    const sessionClosed = closed(session).then(() => {
      saw.sessionClose = true;
    });
    const stream = session.request({ ":path": "/" });
    stream.on("response", (headers) => {
      saw.status = headers[":status"];
    });
    stream.on("error", (error: NodeJS.ErrnoException) => {
      saw.streamError = error.code;
    });
    stream.resume().end();
    await closed(stream);
    saw.rstCode = stream.rstCode;
    if (!session.destroyed) session.close();
    await Promise.race([sessionClosed, new Promise((resolve) => setTimeout(resolve, 200))]);
    session.destroy();
    return saw;
  },
};

/** Resolves on 'close', where `once` would reject on an 'error' first. */
function closed(emitter: EventEmitter): Promise<void> {
  return new Promise((resolve) => emitter.once("close", () => resolve()));
}

interface Case {
  readonly name: string;
  readonly server: ServerCert;
  readonly trust: "ca" | "otherCa";
  readonly client: ClientCert | undefined;
  readonly clientSaw: ClientSaw;
  readonly serverSaw: ServerSaw;
}

const alertCertificateRequired = "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED";

/** What each client sees of a server that verifies its certificate, refuses it, and just closes. */
const closedWithoutReason: ClientSaw = {
  tls: { secureConnect: true, error: undefined, data: "" },
  https: { error: "ECONNRESET" },
  http2: {
    connect: true,
    sessionError: undefined,
    streamError: undefined,
    status: undefined,
    rstCode: http2.constants.NGHTTP2_CANCEL,
    sessionClose: true,
  },
};

const cases: Case[] = [
  {
    name: "connects a client with a certificate from ca to a server with one from ca",
    server: "server",
    trust: "ca",
    client: "client",
    clientSaw: {
      tls: { secureConnect: true, error: undefined, data: "hello" },
      https: { status: 200 },
      http2: {
        connect: true,
        sessionError: undefined,
        streamError: undefined,
        status: 200,
        rstCode: 0,
        sessionClose: true,
      },
    },
    serverSaw: { event: "secureConnection", authorized: true },
  },
  {
    // The server sends its certificate alone: its trust store (ca) cannot chain otherServer.
    name: "fails the client on a server certificate from another CA",
    server: "otherServer",
    trust: "ca",
    client: "client",
    clientSaw: {
      tls: { secureConnect: false, error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", data: "" },
      https: { error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" },
      http2: {
        connect: false,
        sessionError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        streamError: "ERR_HTTP2_STREAM_CANCEL",
        status: undefined,
        rstCode: http2.constants.NGHTTP2_INTERNAL_ERROR,
        sessionClose: true,
      },
    },
    serverSaw: { event: "tlsClientError", code: "ECONNRESET", authorizationError: null },
  },
  {
    // The server sends server and ca (OpenSSL builds the chain from the server's `ca`), so the
    // client finds a root it does not trust, where otherServer above gave a leaf it cannot chain.
    name: "fails a client that trusts only another CA on the server's chain",
    server: "server",
    trust: "otherCa",
    client: "client",
    clientSaw: {
      tls: { secureConnect: false, error: "SELF_SIGNED_CERT_IN_CHAIN", data: "" },
      https: { error: "SELF_SIGNED_CERT_IN_CHAIN" },
      http2: {
        connect: false,
        sessionError: "SELF_SIGNED_CERT_IN_CHAIN",
        streamError: "ERR_HTTP2_STREAM_CANCEL",
        status: undefined,
        rstCode: http2.constants.NGHTTP2_INTERNAL_ERROR,
        sessionClose: true,
      },
    },
    serverSaw: { event: "tlsClientError", code: "ECONNRESET", authorizationError: null },
  },
  {
    name: "fails the client on an expired server certificate",
    server: "expiredServer",
    trust: "ca",
    client: "client",
    clientSaw: {
      tls: { secureConnect: false, error: "CERT_HAS_EXPIRED", data: "" },
      https: { error: "CERT_HAS_EXPIRED" },
      http2: {
        connect: false,
        sessionError: "CERT_HAS_EXPIRED",
        streamError: "ERR_HTTP2_STREAM_CANCEL",
        status: undefined,
        rstCode: http2.constants.NGHTTP2_INTERNAL_ERROR,
        sessionClose: true,
      },
    },
    serverSaw: { event: "tlsClientError", code: "ECONNRESET", authorizationError: null },
  },
  {
    // OpenSSL itself fails the handshake and sends alert 116, which arrives after the client's
    // 'secureConnect'. The http2 session is destroyed but emits neither 'error' nor 'close'
    // (Node 20.20): only its stream reports the alert.
    name: "sends a client without a certificate the alert certificate_required",
    server: "server",
    trust: "ca",
    client: undefined,
    clientSaw: {
      tls: { secureConnect: true, error: alertCertificateRequired, data: "" },
      https: { error: alertCertificateRequired },
      http2: {
        connect: true,
        sessionError: undefined,
        streamError: alertCertificateRequired,
        status: undefined,
        rstCode: http2.constants.NGHTTP2_INTERNAL_ERROR,
        sessionClose: false,
      },
    },
    serverSaw: {
      event: "tlsClientError",
      code: "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
      authorizationError: null,
    },
  },
  {
    // Node verifies the client certificate after the handshake and destroys the socket without
    // an alert: the client sees the connection end, with no reason.
    name: "closes on a client with a certificate from another CA, without saying why",
    server: "server",
    trust: "ca",
    client: "otherClient",
    clientSaw: closedWithoutReason,
    serverSaw: {
      event: "tlsClientError",
      code: "ECONNRESET",
      authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    },
  },
  {
    name: "closes on a client with an expired certificate, without saying why",
    server: "server",
    trust: "ca",
    client: "expiredClient",
    clientSaw: closedWithoutReason,
    serverSaw: {
      event: "tlsClientError",
      code: "ECONNRESET",
      authorizationError: "CERT_HAS_EXPIRED",
    },
  },
];

describe.each(["tls", "https", "http2"] as const)("over node:%s", (protocol) => {
  const servers = new Map<ServerCert, TestServer>();

  beforeAll(async () => {
    for (const cert of ["server", "otherServer", "expiredServer"] as const) {
      servers.set(cert, await startServer(protocol, pki[cert]));
    }
  });

  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
  });

  for (const { name, server: cert, trust, client, clientSaw, serverSaw } of cases) {
    test(name, async () => {
      const server = servers.get(cert);
      if (server === undefined) throw new Error(`no ${cert} server`);
      const saw = once(server.events, "saw") as Promise<[ServerSaw]>;
      const attempt = attempts[protocol];
      expect(await attempt(server.port, clientOptions(trust, client))).toEqual(clientSaw[protocol]);
      expect((await saw)[0]).toEqual(serverSaw);
    });
  }
});

test("verifies the server by the name localhost as well as by 127.0.0.1", async () => {
  const server = await startServer("tls", pki.server);
  try {
    const saw = await attempts.tls(server.port, {
      ...clientOptions("ca", "client"),
      servername: "localhost",
    });
    expect(saw).toEqual({ secureConnect: true, error: undefined, data: "hello" });
    const wrongName = await attempts.tls(server.port, {
      ...clientOptions("ca", "client"),
      servername: "example.com",
    });
    expect(wrongName.error).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  } finally {
    await server.close();
  }
});
