import type { Outcome } from "./outcome.js";

/** How a sender settles its one outcome. */
export interface Settle {
  /** Settles with `outcome` (or what another send resolves to), unless already settled. */
  (outcome: Outcome | Promise<Outcome>): void;
  /** Whether the outcome is settled. */
  readonly done: boolean;
}

/**
 * The outcome of one input: whatever `send` settles first, or a timeout after `timeoutMs`, when
 * `send`'s returned cleanup cuts what is still open.
 */
export function outcomeWithin(
  timeoutMs: number,
  send: (settle: Settle) => () => void,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const started = performance.now();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = Object.defineProperty(
      (outcome: Outcome | Promise<Outcome>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(outcome);
      },
      "done",
      { get: () => done },
    ) as Settle;
    const cut = send(settle);
    timer = setTimeout(() => {
      settle({ kind: "timeout", afterMs: Math.round(performance.now() - started) });
      cut();
    }, timeoutMs);
  });
}
