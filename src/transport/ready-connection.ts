import { Code, ConnectError } from "@connectrpc/connect";
import type { Http2ConnectionPool, PooledConnection } from "./http2-connection-pool.js";

/** Connections lost before their SETTINGS that a stream moves on from before failing on one. */
const maxLostConnections = 3;

/**
 * A connection of `pool` for one more stream, as `sendHttp2Unary` takes one: on a new connection
 * it waits for the server's SETTINGS (about one round trip, once per connection), then takes a
 * connection again, now that the pool knows whether this one is full; a connection lost before
 * its server said anything is left for a fresh one, since nothing was sent on it. A connection
 * that never became usable is returned all the same, for the stream to report why. Give it back
 * with `pool.release()`. Rejects with CANCELED when `signal` aborts, and FAILED_PRECONDITION on a
 * closed pool (using a closed transport is the caller's mistake, not worth a retry).
 */
export async function acquireReadyConnection(
  pool: Http2ConnectionPool,
  signal: AbortSignal,
): Promise<PooledConnection> {
  for (let lost = 0; ; ) {
    const connection = acquire(pool);
    const settings = connection.settings;
    if (settings === undefined) return connection;
    let known: boolean;
    try {
      known = await untilAborted(settings, signal);
    } catch (error) {
      pool.release(connection);
      throw error;
    }
    if (!known && !(diedBeforeSettings(connection) && lost++ < maxLostConnections)) {
      return connection;
    }
    pool.release(connection);
  }
}

function acquire(pool: Http2ConnectionPool): PooledConnection {
  try {
    return pool.acquire();
  } catch (error) {
    throw new ConnectError(
      (error as Error).message,
      Code.FailedPrecondition,
      undefined,
      undefined,
      error,
    );
  }
}

/** `promise`, or CANCELED with the signal's reason once it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(ConnectError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Whether `connection` was made (TCP, and TLS) and then lost, before any SETTINGS came. */
function diedBeforeSettings(connection: PooledConnection): boolean {
  const session = connection.session;
  return !session.connecting && (session.closed || session.destroyed);
}
