/**
 * Ctrl-C stopped a command that runs until it is stopped (`events watch`, `workers generate
 * --follow`): exit code 130, as a shell reports a process that SIGINT ended, and no error line,
 * since the user asked for it.
 */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  constructor() {
    super("interrupted (SIGINT)");
  }
}

/** What {@link onInterrupt} returns: dispose it (`using`) to give SIGINT back to Node. */
export interface Interrupt extends Disposable {
  /** Aborted by the first SIGINT. */
  readonly signal: AbortSignal;
  /** What to throw for `error`: an {@link InterruptedError} when SIGINT caused it. */
  explain(error: unknown): unknown;
}

/**
 * Turns the first SIGINT into an aborted signal, so that the command can stop its call and close
 * its clients instead of being killed mid-write. Only the first: once it has been heard, a second
 * Ctrl-C gets Node's default and ends the process at once, should the cleanup hang.
 */
export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  const abort = () => controller.abort(new InterruptedError());
  process.once("SIGINT", abort);
  return {
    signal: controller.signal,
    explain: (error) => (controller.signal.aborted ? new InterruptedError() : error),
    [Symbol.dispose]: () => {
      process.off("SIGINT", abort);
    },
  };
}
