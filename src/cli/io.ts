/** A stream the CLI writes to: process.stdout / process.stderr, or a fake in tests. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** Whether a terminal is attached; progress bars are drawn only then. */
  readonly isTTY?: boolean;
  /** Width of the terminal, when it is one. */
  readonly columns?: number;
}

/** Where the CLI writes and what environment it reads; the real entry passes the process's. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Read by the clients (`SESSIONS_SERVICE_URL`, ...) and by `serve`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}
