/**
 * The limits a service holds its clients to: options of `startServices()` and `serve()`, and
 * `CONTEXTIQ_*` variables of `contextiq serve`. Each is checked through the services' option table
 * before anything listens.
 */
export interface ServiceLimitOptions {
  /**
   * How long a stop lets in-flight calls finish before it cuts them, in ms
   * (`CONTEXTIQ_DRAIN_TIMEOUT`, in seconds, for `contextiq serve`). Handlers' context signals abort
   * with UNAVAILABLE shortly before (a fifth of it, at most one second), so handlers that honour
   * them can still answer. Defaults to 10 seconds.
   */
  drainTimeoutMs?: number | undefined;
  /**
   * HTTP/2 streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS;
   * `CONTEXTIQ_MAX_CONCURRENT_STREAMS` for `contextiq serve`). Streams a client opens past it
   * before it has acknowledged the setting are refused (REFUSED_STREAM); a client that ignores it
   * afterwards loses the connection (GOAWAY, nghttp2's choice). Defaults to 100.
   */
  maxConcurrentStreams?: number | undefined;
  /**
   * How long a client may take to send a whole request, headers and body, in ms; a slower one is
   * cut (HTTP/1.1: 408; HTTP/2: its stream is reset with CANCEL) (`CONTEXTIQ_REQUEST_TIMEOUT`, in
   * seconds, for `contextiq serve`). Defaults to 30 seconds.
   */
  requestTimeoutMs?: number | undefined;
  /**
   * How long a new connection may take to finish its TLS handshake, or in cleartext to show which
   * HTTP version it speaks, and an HTTP/1.1 request to send its headers, in ms, before it is
   * dropped (`CONTEXTIQ_HANDSHAKE_TIMEOUT`, in seconds, for `contextiq serve`). Defaults to 10
   * seconds.
   */
  handshakeTimeoutMs?: number | undefined;
  /**
   * How long a connection may send nothing, in ms: an HTTP/2 one is then closed gracefully
   * (GOAWAY), and cut if its streams are still open `requestTimeoutMs` later; an idle HTTP/1.1
   * socket is closed, a keep-alive one included (announced in `Keep-Alive: timeout=`)
   * (`CONTEXTIQ_IDLE_TIMEOUT`, in seconds, for `contextiq serve`). Defaults to 5 minutes.
   */
  idleTimeoutMs?: number | undefined;
  /**
   * Connections a service keeps open at once; more are closed as soon as they are accepted, before
   * they cost a handshake, so that a flood of idle connections cannot take every file descriptor
   * (`CONTEXTIQ_MAX_CONNECTIONS` for `contextiq serve`). Not the database's pool, which is
   * `database.maxConnections`. Defaults to 4096.
   */
  maxConnections?: number | undefined;
  /**
   * Largest request message accepted, in bytes; a larger one is RESOURCE_EXHAUSTED
   * (`CONTEXTIQ_READ_MAX_BYTES` for `contextiq serve`). Defaults to 4 MiB.
   */
  readMaxBytes?: number | undefined;
  /**
   * Responses of at least this many bytes are sent gzipped to clients that ask for gzip (gRPC's
   * `grpc-accept-encoding`, Connect's `Accept-Encoding`); `false` compresses none
   * (`CONTEXTIQ_COMPRESS_MIN_BYTES` for `contextiq serve`, "off" for none). Requests come gzipped
   * whatever this says, and `readMaxBytes` holds them to their size once decompressed. Defaults to
   * 8192. Below it gzip's fixed cost buys few bytes, and a memory in protobuf barely shrinks (see
   * docs/compression.md).
   */
  compressMinBytes?: number | false | undefined;
  /**
   * How long a connection lives before it is asked to go, in ms, give or take 10% (gRFC A9): an
   * HTTP/2 one gets a GOAWAY and closes once its streams are done, an HTTP/1.1 one closes after its
   * response in flight, or at once when idle. Clients reconnect, and behind an L4 balancer spread
   * over replicas added since (`CONTEXTIQ_MAX_CONNECTION_AGE`, in seconds, for `contextiq serve`).
   * Defaults to none.
   */
  maxConnectionAgeMs?: number | undefined;
  /**
   * How long the calls of a connection asked to go by `maxConnectionAgeMs` may take before it is
   * cut, in ms (`CONTEXTIQ_MAX_CONNECTION_AGE_GRACE`, in seconds, for `contextiq serve`). Defaults
   * to none.
   */
  maxConnectionAgeGraceMs?: number | undefined;
  /**
   * WatchEvents streams the Sessions service runs at once; one more is RESOURCE_EXHAUSTED
   * (`CONTEXTIQ_MAX_WATCHERS` for `contextiq serve`). Defaults to 1000.
   */
  maxWatchers?: number | undefined;
  /**
   * How long a watcher may leave an event unread, in ms, its flow-control windows full, before
   * its stream is cut (`CONTEXTIQ_WATCH_STALL_TIMEOUT`, in seconds, for `contextiq serve`); it
   * then watches again after the last event it read. The service holds at most a page of events
   * for it meanwhile. Defaults to 30 seconds.
   */
  watchStallTimeoutMs?: number | undefined;
}
