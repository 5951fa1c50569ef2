// How follow mode gathers a stream into batches: by bursts, bounded in age and size, the rest at
// the end, a failure at once; and that stopping early does not wait on the read in flight. Fake
// timers: no test waits on real time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { batches } from "../../src/workers/batches.js";

const limits = { quietMs: 200, maxDelayMs: 2_000, maxSize: 5 };

/** A source fed by the test: `push` an item, `end` it, or `fail` it. */
function channel<T>() {
  const items: T[] = [];
  let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null =
    null;
  let ended = false;
  let failure: unknown;
  let returned = false;
  const settle = () => {
    if (!waiting) return;
    const { resolve, reject } = waiting;
    const item = items.shift();
    if (item !== undefined) resolve({ value: item, done: false });
    else if (failure !== undefined) reject(failure);
    else if (ended) resolve({ value: undefined, done: true });
    else return;
    waiting = null;
  };
  const source: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => source,
    next: () =>
      new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        settle();
      }),
    return: async () => {
      returned = true;
      return { value: undefined, done: true };
    },
  };
  return {
    source,
    push: (...values: T[]) => {
      items.push(...values);
      settle();
    },
    end: () => {
      ended = true;
      settle();
    },
    fail: (error: unknown) => {
      failure = error;
      settle();
    },
    returned: () => returned,
  };
}

describe("batches", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands over a burst once the source has been quiet for quietMs", async () => {
    const { source, push, end } = channel<number>();
    const out = batches(source, limits);
    const first = out.next();
    push(1, 2);
    await vi.advanceTimersByTimeAsync(100);
    push(3);
    let settled = false;
    void first.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ value: [1, 2, 3], done: false });

    const second = out.next();
    push(4);
    end();
    expect(await second).toEqual({ value: [4], done: false });
    expect(await out.next()).toEqual({ value: undefined, done: true });
  });

  it("hands over at most maxSize items at once", async () => {
    const { source, push, end } = channel<number>();
    const out = batches(source, limits);
    push(1, 2, 3, 4, 5, 6, 7);
    end();
    expect(await out.next()).toEqual({ value: [1, 2, 3, 4, 5], done: false });
    expect(await out.next()).toEqual({ value: [6, 7], done: false });
    expect(await out.next()).toEqual({ value: undefined, done: true });
  });

  it("hands over a batch maxDelayMs after its first item, though items keep coming", async () => {
    const { source, push } = channel<number>();
    const out = batches(source, { ...limits, maxSize: 1_000 });
    const start = performance.now();
    let handedAt: number | undefined;
    const first = out.next().then((result) => {
      handedAt = performance.now() - start;
      return result;
    });
    // An item every 150 ms: never 200 ms of quiet.
    for (let i = 0; handedAt === undefined && i < 30; i++) {
      push(i);
      await vi.advanceTimersByTimeAsync(150);
    }
    expect(handedAt).toBe(2_000);
    expect((await first).value).toEqual([...Array(14).keys()]);
  });

  it("throws a failure of the source at once, without the batch gathered", async () => {
    const { source, push, fail } = channel<number>();
    const out = batches(source, limits);
    const first = out.next();
    push(1);
    fail(new Error("gone"));
    await expect(first).rejects.toThrow("gone");
  });

  it("stops without waiting for the read in flight, and asks the source to return", async () => {
    const { source, push, returned } = channel<number>();
    const out = batches(source, limits);
    const first = out.next();
    push(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(await first).toEqual({ value: [1], done: false });
    // The batch is out; a read of the source is in flight, which nothing will answer.
    expect(await out.return()).toEqual({ value: undefined, done: true });
    expect(returned()).toBe(true);
  });
});
