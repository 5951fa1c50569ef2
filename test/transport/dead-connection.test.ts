// A pooled connection whose server died is left out before a call uses it. The services run in a
// child process that the tests SIGKILL: the kernel closes its connections, and the client reads
// the end of each a moment later. A call made from then on (a retry, a hedge, a circuit's probe,
// anything another event set off) must not be sent on that connection, where it would fail as a
// reset that may have been processed: on a fresh one it is refused (never processed), or answered
// once the server is back. A call waiting for the SETTINGS of a connection whose server died has
// sent nothing either, and goes to a fresh connection too.
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { failureKind } from "../../src/policy/transient.js";
import {
  createHttp1JsonTransport,
  createHttp2GrpcTransport,
  createHttp2JsonTransport,
  createKeepAliveAgent,
  Http2ConnectionPool,
  type KeepAliveAgent,
} from "../../src/transport/index.js";
import { freePorts, type ServiceProcess, serviceProcess } from "../support/service-process.js";

let services: ServiceProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "contextiq-dead-connection-"));
  const [sessionsPort, memoryPort] = await freePorts(2);
  if (sessionsPort === undefined || memoryPort === undefined) throw new Error("no free ports");
  services = serviceProcess({ sessionsPort, memoryPort, dataDir });
}, 60_000);
beforeEach(async () => {
  if (services.pid === undefined) await services.start();
}, 60_000);
afterAll(async () => {
  await services?.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 30_000);

/** A transport over connections of its own, and what it hands the calls. */
interface Opened {
  readonly transport: Transport;
  /** The one connection open now: its socket, and what `taken` holds for it. */
  pooledConnection(): { socket: Socket; connection: object };
  /** Connections (or free sockets) the transport would hand a call now. */
  pooled(): number;
  /** The connections handed to calls so far (HTTP/1.1: the sockets reused). */
  readonly taken: object[];
  close(): void;
}

const overPool =
  (make: (options: { baseUrl: string; pool: Http2ConnectionPool }) => Transport) =>
  (baseUrl: string): Opened => {
    const pool = new Http2ConnectionPool(baseUrl);
    const acquire = pool.acquire.bind(pool);
    const taken: object[] = [];
    pool.acquire = () => {
      const connection = acquire();
      taken.push(connection);
      return connection;
    };
    return {
      transport: make({ baseUrl, pool }),
      pooledConnection() {
        const connection = acquire();
        pool.release(connection);
        return { socket: connection.session.socket as Socket, connection };
      },
      pooled: () => pool.size,
      taken,
      close: () => pool.destroy(),
    };
  };

const freeSockets = (agent: KeepAliveAgent) => Object.values(agent.freeSockets).flat() as Socket[];

const transports: { name: string; http2: boolean; open(baseUrl: string): Opened }[] = [
  { name: "gRPC", http2: true, open: overPool(createHttp2GrpcTransport) },
  { name: "Connect JSON over HTTP/2", http2: true, open: overPool(createHttp2JsonTransport) },
  {
    name: "Connect JSON over HTTP/1.1",
    http2: false,
    open(baseUrl) {
      const agent = createKeepAliveAgent(baseUrl);
      const reuse = agent.reuseSocket.bind(agent);
      const taken: object[] = [];
      agent.reuseSocket = (socket, request) => {
        taken.push(socket);
        reuse(socket, request);
      };
      return {
        transport: createHttp1JsonTransport({ baseUrl, agent }),
        pooledConnection() {
          const socket = freeSockets(agent)[0] as Socket;
          return { socket, connection: socket };
        },
        pooled: () => freeSockets(agent).length,
        taken,
        close: () => agent.destroy(),
      };
    },
  },
];

/** "ok", or how the call failed: its code and failureKind. */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "ok",
    (error: unknown) => {
      const e = ConnectError.from(error);
      return `${Code[e.code]} ${failureKind(e)}: ${e.rawMessage}`;
    },
  );
}

describe.each(transports)("over $name, a server killed under a pooled connection", (kind) => {
  it("is out of the pool once its end is read: the next call goes to a fresh connection", {
    timeout: 60_000,
  }, async () => {
    const opened = kind.open(services.sessionsUrl);
    const sessions = createClient(SessionsService, opened.transport);
    try {
      const { session } = await sessions.createSession({});
      const id = session?.id ?? "";
      await sessions.getSession({ id });
      expect(opened.pooled()).toBe(1);
      // The first moment the client knows: its connection's end has just been read.
      const dead = opened.pooledConnection();
      const atEnd = new Promise<{ pooled: number; taken: number; call: Promise<string> }>(
        (resolve) => {
          dead.socket.once("end", () => {
            const { pooled, taken } = { pooled: opened.pooled(), taken: opened.taken.length };
            resolve({ pooled, taken, call: outcome(sessions.getSession({ id })) });
          });
        },
      );
      await services.kill("SIGKILL");
      const { pooled, taken, call } = await atEnd;
      const result = await call;
      expect(pooled, "connections left in the pool once the end was read").toBe(0);
      const sentOnDead = opened.taken.slice(taken).includes(dead.connection);
      expect(sentOnDead, "the call was sent on the dead connection").toBe(false);
      // Over HTTP/2 a connection that reached the dying server's listener is lost before its
      // SETTINGS, and the call goes to another. Over HTTP/1.1 nothing tells such a reset from
      // one of a server that read the request.
      expect(result).toMatch(kind.http2 ? /^Unavailable refused/ : /^Unavailable (refused|reset)/);
      await services.start();
      expect(await outcome(sessions.getSession({ id }))).toBe("ok");
    } finally {
      opened.close();
    }
  });

  it.runIf(kind.http2)(
    "sends a call waiting for SETTINGS on a connection whose server died on a fresh one",
    { timeout: 60_000 },
    async () => {
      const pid = services.pid as number;
      // Stopped, the server's kernel still accepts connections, but nothing answers on them.
      process.kill(pid, "SIGSTOP");
      const opened = kind.open(services.sessionsUrl);
      try {
        const sessions = createClient(SessionsService, opened.transport);
        const call = outcome(sessions.getSession({ id: "00000000-0000-4000-8000-000000000000" }));
        await expect.poll(() => opened.pooled()).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Killed, it resets the connection it never accepted.
        await services.kill("SIGKILL");
        expect(await call).toMatch(/^Unavailable refused/);
      } finally {
        opened.close();
        // Not left stopped should the test fail before its kill.
        if (services.pid === pid) await services.kill("SIGKILL");
      }
    },
  );
});
