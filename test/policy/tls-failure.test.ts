// Which failures are TLS failures, and what the caller is told to fix: from the code Node gives,
// anywhere in the causes, or from OpenSSL's reason in an EPROTO message.
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Code, ConnectError, SessionsServiceClient } from "../../src/index.js";
import { tlsFailure } from "../../src/policy/tls-failure.js";
import { createTestPki } from "../support/certificates.js";

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("tlsFailure", () => {
  it("finds Node's code deep in the causes, as the gRPC transport nests it", () => {
    const certificate = coded("CERT_HAS_EXPIRED", "certificate has expired");
    const pending = new Error("The pending stream has been canceled", { cause: certificate });
    const stream = new Error("http/2 stream closed", { cause: pending });
    const call = new ConnectError("stream closed", Code.Internal, undefined, undefined, stream);
    expect(tlsFailure(call)).toEqual({
      code: "CERT_HAS_EXPIRED",
      explanation: "the server's certificate has expired: the server must renew it",
    });
  });

  it("reads OpenSSL's reason from an EPROTO message", () => {
    const eproto = coded(
      "EPROTO",
      "write EPROTO 80DC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:",
    );
    expect(tlsFailure(eproto)?.code).toBe("ERR_SSL_WRONG_VERSION_NUMBER");
    expect(tlsFailure(coded("EPROTO", "write EPROTO something else"))).toBeUndefined();
  });

  it("explains the alerts of servers that refuse client certificates in the handshake", () => {
    expect(tlsFailure(coded("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"))?.explanation).toMatch(
      /^the server does not trust the CA that issued the client certificate/,
    );
    expect(tlsFailure(coded("ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED"))?.explanation).toMatch(
      /^the server refused the client certificate as expired/,
    );
  });

  it("leaves other failures alone", () => {
    expect(tlsFailure(coded("ECONNRESET"))).toBeUndefined();
    expect(tlsFailure(new ConnectError("nope", Code.Unavailable))).toBeUndefined();
    expect(tlsFailure(undefined)).toBeUndefined();
  });
});

describe("a server that refuses a missing client certificate in the handshake", () => {
  it("is explained: give tls.cert and tls.key", async () => {
    const pki = await createTestPki();
    // Not the reference services (they judge per call): plain Node TLS, refusing in the handshake.
    const server = https.createServer(
      { ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
      (_request, response) => response.end(),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await using client = new SessionsServiceClient({
        baseUrl: `https://127.0.0.1:${port}`,
        tls: { ca: pki.ca.cert },
        maxRetries: 3,
        retryDelayMs: 1,
        env: {},
      });
      const error = ConnectError.from(await client.getSession(crypto.randomUUID()).catch((e) => e));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.rawMessage).toMatch(
        /failed: the server requires a client certificate: give option `tls.cert` and `tls.key`.*\(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)$/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
