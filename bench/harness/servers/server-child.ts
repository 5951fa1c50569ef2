/**
 * The life of a server child process: start, announce the URLs on a READY line, and stop when the
 * harness says so (SIGTERM) or goes away (its IPC channel closes), so no server outlives a run.
 */

/** A server running in this process. */
export interface StartedServer {
  /** Base URL of the Sessions service. */
  readonly sessionsUrl: string;
  /** Base URL of the Memory service (the same as `sessionsUrl` when one port serves both). */
  readonly memoryUrl: string;
  close(): Promise<void>;
}

/** The line a server child prints on stdout once it listens, followed by the URLs as JSON. */
export const readyPrefix = "READY ";

/** Starts the server, prints the READY line, and stops it on SIGTERM, SIGINT or disconnect. */
export async function runServerChild(start: () => Promise<StartedServer>): Promise<void> {
  const server = await start();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // A server that does not close promptly is cut: the harness must not wait on it.
    setTimeout(() => process.exit(0), 2_000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  const { sessionsUrl, memoryUrl } = server;
  process.stdout.write(`${readyPrefix}${JSON.stringify({ sessionsUrl, memoryUrl })}\n`);
}

/** The base URL of a server listening on 127.0.0.1:`port`. */
export function localUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}
