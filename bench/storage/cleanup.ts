/**
 * What a run leaves behind (temporary folders, PostgreSQL schemas) is undone at its end, and on
 * Ctrl-C or SIGTERM too: another session's tests share the database server.
 */
const undo: { label: string; run: () => Promise<void> }[] = [];

/**
 * Registers `run`, to be done at the end, last registered first; returns a function that
 * unregisters it, for what is undone along the way (services closed after their phase).
 */
export function onCleanup(label: string, run: () => Promise<void>): () => void {
  const item = { label, run };
  undo.push(item);
  return () => {
    const index = undo.indexOf(item);
    if (index >= 0) undo.splice(index, 1);
  };
}

/** Does everything registered, once each; failures are reported, not thrown. */
export async function cleanUp(): Promise<void> {
  for (let item = undo.pop(); item !== undefined; item = undo.pop()) {
    try {
      await item.run();
    } catch (error) {
      process.stderr.write(`cleanup failed, ${item.label}: ${String(error)}\n`);
    }
  }
}

/** On SIGINT or SIGTERM: clean up, then exit with the signal's usual code. */
export function cleanUpOnSignals(): void {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: cleaning up\n`);
      void cleanUp().finally(() => process.exit(code));
    });
  }
}
