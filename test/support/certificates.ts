// Certificates made at test time for TLS and mTLS tests on 127.0.0.1. node:crypto cannot issue
// certificates, so this drives the `openssl` CLI (3.0 or later; Debian bookworm has 3.0): keys
// come from node:crypto (EC P-256), signatures from `openssl req` and `openssl ca`, run without a
// shell in a fresh temporary directory that is gone when createTestPki returns. `openssl ca`
// rather than `openssl x509 -req` because only `ca` takes explicit dates before 3.4, and the
// expired certificates need them. No openssl.cnf but ours is read (-config and OPENSSL_CONF).
//
// What each side sees when verification fails, observed with Node 20.20 (OpenSSL 3.0.x inside)
// over TLS 1.3, the default; certificates.test.ts asserts every entry.
//
// The client rejects the server's certificate, during the handshake. The client's error:
// - issued by another CA: `UNABLE_TO_VERIFY_LEAF_SIGNATURE` ("unable to verify the first
//   certificate"). But a server whose `ca` option holds its issuer sends the chain, and a client
//   trusting some other CA then gets `SELF_SIGNED_CERT_IN_CHAIN` ("self-signed certificate in
//   certificate chain").
// - expired: `CERT_HAS_EXPIRED` ("certificate has expired").
// The tls.connect socket emits it as 'error' without 'secureConnect'; an https request emits it
// as 'error'; an http2 session emits it as 'error' (no 'connect'), after a stream already
// requested fails with `ERR_HTTP2_STREAM_CANCEL` ("The pending stream has been canceled (caused
// by: <the error's message>)") and rstCode NGHTTP2_INTERNAL_ERROR. The server emits
// 'tlsClientError' with `ECONNRESET` ("socket hang up").
//
// The server rejects the client's certificate (requestCert and rejectUnauthorized). In TLS 1.3
// the client's handshake is over before the server has looked at the certificate, so every client
// first sees success ('secureConnect', the http2 'connect'), then:
// - no certificate: OpenSSL fails the server's handshake and sends alert 116. Client:
//   `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` ("...:SSL routines:ssl3_read_bytes:tlsv13 alert
//   certificate required:...:SSL alert number 116") as 'error' on the tls socket, on the https
//   request, and on an http2 stream; the http2 session is destroyed but emits neither 'error'
//   nor 'close' (wait on it and you wait for ever). Server: 'tlsClientError' with
//   `ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE`.
// - issued by another CA, or expired: Node verifies after the handshake and destroys the socket,
//   sending no alert, so no client learns why. The tls socket just ends ('end', 'close', no
//   'error'); the https request fails with `ECONNRESET` ("socket hang up"); the http2 session
//   closes without 'error' and its stream closes without 'error', rstCode NGHTTP2_CANCEL. Server:
//   'tlsClientError' with `ECONNRESET` ("socket hang up"), the reason only in the socket's
//   authorizationError: `UNABLE_TO_VERIFY_LEAF_SIGNATURE` or `CERT_HAS_EXPIRED`.
// A server that must tell such a client why needs rejectUnauthorized: false and its own answer
// when `socket.authorized` is false.
//
// Over TLS 1.2 (maxVersion; not asserted) clients see the same errors for the server's
// certificate, while the server sees 'secureConnection' with authorized false. A client without a
// certificate fails its handshake with `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE` (alert 40; https:
// `EPROTO`), and one with another CA's or an expired certificate with `ECONNRESET` ("Client
// network socket disconnected before secure TLS connection was established"); http2 sessions emit
// both as 'error'.
//
// Through connect-node 2.1.2 (observed over TLS 1.3, not asserted): the server's certificate
// and a missing client certificate give ConnectError `internal` with the TLS error's message
// and the TLS error as cause; another CA's or an expired client certificate gives `aborted`
// ("socket hang up") over HTTP/1.1 and `canceled` ("http/2 stream closed with error code CANCEL
// (0x8)") over HTTP/2, Connect and gRPC alike.
import { execFile } from "node:child_process";
import { generateKeyPair } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Two unrelated CAs and the certificates they issued. Every certificate is EC P-256. The valid
 * ones run from an hour ago to a day from now; the expired ones from two days ago to one day ago.
 */
export interface TestPki {
  /** A self-signed CA: trust this one. */
  readonly ca: KeyPair;
  /** Issued by `ca` for serverAuth: CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1. */
  readonly server: KeyPair;
  /** Issued by `ca` for clientAuth: CN=contextiq-test-client. */
  readonly client: KeyPair;
  /** As `server`, but expired. */
  readonly expiredServer: KeyPair;
  /** As `client`, but expired. */
  readonly expiredClient: KeyPair;
  /** A self-signed CA unrelated to `ca`. */
  readonly otherCa: KeyPair;
  /** As `server`, but issued by `otherCa`. */
  readonly otherServer: KeyPair;
  /** As `client`, but issued by `otherCa`. */
  readonly otherClient: KeyPair;
}

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;

/** The subject (CN) of the server certificates, and their one DNS name. */
export const serverName = "localhost";
/** The subject (CN) of the client certificates. */
export const clientName = "contextiq-test-client";

type Name = keyof TestPki;

/** Internal: who issues each leaf, for what, and whether it has expired. */
const leaves: readonly {
  name: Exclude<Name, "ca" | "otherCa">;
  issuer: "ca" | "otherCa";
  kind: "server" | "client";
  expired: boolean;
}[] = [
  { name: "server", issuer: "ca", kind: "server", expired: false },
  { name: "client", issuer: "ca", kind: "client", expired: false },
  { name: "expiredServer", issuer: "ca", kind: "server", expired: true },
  { name: "expiredClient", issuer: "ca", kind: "client", expired: true },
  { name: "otherServer", issuer: "otherCa", kind: "server", expired: false },
  { name: "otherClient", issuer: "otherCa", kind: "client", expired: false },
];

// Each leaf has its own `openssl ca` section (-name), hence its own database, so the six
// signings can run at once without sharing an index.txt. OpenSSL 3.0 wants `serial` set even
// with -rand_serial, though the file need not exist. unique_subject = no: server and
// expiredServer share a subject.
const config = `
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused

[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:${serverName}, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[policy_anything]
commonName = supplied
${leaves
  .map(
    ({ name }) => `
[ca_${name}]
database = ${name}.index.txt
serial = ${name}.serial
new_certs_dir = .
default_md = sha256
policy = policy_anything
unique_subject = no
email_in_dn = no
`,
  )
  .join("")}`;

/**
 * Makes two CAs and the certificates they issue, with the `openssl` CLI: some 0.3 to 0.5 s, most
 * of it starting 14 openssl processes. Call it once per test file (in beforeAll). Nothing is left
 * on disk. Throws, naming the tool, when `openssl` is not on PATH.
 */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "contextiq-pki-"));
  try {
    const openssl = createOpenssl(dir);
    await writeFile(join(dir, "openssl.cnf"), config);
    const names: Name[] = ["ca", "otherCa", ...leaves.map(({ name }) => name)];
    const keys = Object.fromEntries(
      await Promise.all(
        names.map(async (name) => {
          const key = await newKey();
          await writeFile(join(dir, `${name}.key`), key);
          return [name, key] as const;
        }),
      ),
    ) as Record<Name, string>;
    await Promise.all(leaves.map(({ name }) => writeFile(join(dir, `${name}.index.txt`), "")));

    const now = Date.now();
    const valid = { start: asn1Time(now - hourMs), end: asn1Time(now + dayMs) };
    const expired = { start: asn1Time(now - 2 * dayMs), end: asn1Time(now - dayMs) };
    // The CAs sign their own requests at once (-x509); the leaves' requests wait for the CAs.
    await Promise.all([
      ...(["ca", "otherCa"] as const).map((name) =>
        openssl(
          ["req", "-new", "-x509", "-key", `${name}.key`, "-out", `${name}.crt`],
          ["-subj", `/CN=contextiq-test-${name === "ca" ? "ca" : "other-ca"}`],
          ["-days", "2", "-extensions", "ca_ext"],
        ),
      ),
      ...leaves.map(({ name, kind }) =>
        openssl(
          ["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`],
          ["-subj", `/CN=${kind === "server" ? serverName : clientName}`],
        ),
      ),
    ]);
    await Promise.all(
      leaves.map(({ name, issuer, kind, expired: isExpired }) => {
        const { start, end } = isExpired ? expired : valid;
        return openssl(
          ["ca", "-batch", "-notext", "-rand_serial", "-name", `ca_${name}`],
          ["-cert", `${issuer}.crt`, "-keyfile", `${issuer}.key`, "-extensions", `${kind}_ext`],
          ["-startdate", start, "-enddate", end, "-in", `${name}.csr`, "-out", `${name}.crt`],
        );
      }),
    );

    const pairs = await Promise.all(
      names.map(async (name) => {
        const cert = await readFile(join(dir, `${name}.crt`), "utf8");
        return [name, { cert, key: keys[name] }] as const;
      }),
    );
    return Object.fromEntries(pairs) as Record<Name, KeyPair>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Internal: an EC P-256 private key, PKCS#8 PEM. */
async function newKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return privateKey;
}

/** Internal: runs `openssl` in `dir` with our config only, and without a shell or prompts. */
function createOpenssl(dir: string): (...args: string[][]) => Promise<void> {
  const configPath = join(dir, "openssl.cnf");
  // OPENSSL_CONF is what every openssl command loads at startup; -config is what req and ca read
  // their sections from. Both point at our file.
  const env = { ...process.env, OPENSSL_CONF: configPath };
  return async (...parts) => {
    const [command = "", ...rest] = parts.flat();
    const args = [command, "-config", configPath, ...rest];
    try {
      await execFileAsync("openssl", args, { cwd: dir, env, timeout: 10_000 });
    } catch (e) {
      const error = e as NodeJS.ErrnoException & { stderr?: string };
      if (error.code === "ENOENT") {
        throw new Error(
          "createTestPki needs the `openssl` command-line tool (OpenSSL 3.0 or later) on PATH, " +
            "to issue the test certificates; install it (Debian: apt-get install openssl).",
          { cause: e },
        );
      }
      throw new Error(`\`openssl ${args.join(" ")}\` failed: ${error.stderr?.trim() || error}`, {
        cause: e,
      });
    }
  };
}

/** Internal: `ms` as the YYMMDDHHMMSSZ (UTCTime) that `openssl ca -startdate` takes. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().slice(2, 19).replace(/[-T:]/g, "")}Z`;
}
