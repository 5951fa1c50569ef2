// What a transport test opens (peers, transports, pools), closed after the test whether it passed
// or not. Peers go first: destroying their connections ends any call still stalled on them, so
// that closing the transports, which waits for calls in flight, cannot hang.
import { create, toBinary } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { afterEach } from "vitest";
import {
  GetSessionResponseSchema,
  SessionsService,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  createHttp2GrpcTransport,
  Http2ConnectionPool,
  type Http2GrpcTransport,
  type Http2GrpcTransportOptions,
  type Http2PoolOptions,
} from "../../src/transport/index.js";
import {
  type GrpcPeer,
  type GrpcPeerOptions,
  grpcFrame,
  type PeerHandler,
  startGrpcPeer,
} from "./grpc-peer.js";

/** A session id no service knows. */
export const unknownId = "00000000-0000-4000-8000-000000000000";

/** Opens things for one test and closes them after it. */
export interface TransportFixtures {
  startPeer(handler: PeerHandler, options?: GrpcPeerOptions): Promise<GrpcPeer>;
  createTransport(options: Http2GrpcTransportOptions): Http2GrpcTransport;
  /** A Sessions client over a new transport with `options`. */
  sessionsClient(options: Http2GrpcTransportOptions): Client<typeof SessionsService>;
  createPool(origin: string, options?: Http2PoolOptions): Http2ConnectionPool;
}

/** Fixtures for the tests of the file (or describe block) that calls it. */
export function useTransportFixtures(): TransportFixtures {
  const peers: GrpcPeer[] = [];
  const transports: Http2GrpcTransport[] = [];
  const pools: Http2ConnectionPool[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  const createTransport = (options: Http2GrpcTransportOptions) => {
    const transport = createHttp2GrpcTransport(options);
    transports.push(transport);
    return transport;
  };
  return {
    async startPeer(handler, options) {
      const peer = await startGrpcPeer(handler, options);
      peers.push(peer);
      return peer;
    },
    createTransport,
    sessionsClient: (options) => createClient(SessionsService, createTransport(options)),
    createPool(origin, options) {
      const pool = new Http2ConnectionPool(origin, options);
      pools.push(pool);
      return pool;
    },
  };
}

/** The body of a GetSession response, one framed message, for a peer to answer. */
export function getSessionBody(title = "from the peer"): Buffer {
  const response = create(GetSessionResponseSchema, { session: { id: unknownId, title } });
  return grpcFrame(toBinary(GetSessionResponseSchema, response));
}

/** Settles `call` without throwing, for calls a test expects to fail later. */
export function settle(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => value,
    (error: unknown) => error,
  );
}
