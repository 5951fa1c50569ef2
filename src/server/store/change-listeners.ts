/**
 * Listeners by key (a session id), told when something under the key changed. The stores call
 * `notify` after a write commits; a listener only learns that it should read again, so a burst of
 * changes may reach it as one call.
 */
export class ChangeListeners {
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Calls `changed` on every change under `key` until the returned stop is called. */
  listen(key: string, changed: () => void): () => void {
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
    }
    // A function of its own, so that one listener registered twice is stopped once per listen.
    const listener = () => changed();
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  /** Tells the listeners of `key`. */
  notify(key: string): void {
    const set = this.listeners.get(key);
    if (set === undefined) return;
    for (const listener of [...set]) listener();
  }

  /** Tells every listener: after a time when changes may have gone unnoticed. */
  notifyAll(): void {
    for (const key of [...this.listeners.keys()]) this.notify(key);
  }
}
