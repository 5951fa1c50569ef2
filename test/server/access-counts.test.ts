// How accesses are counted off the read path: in batches a second after the first, early when many
// memories are pending, again after a failure without losing or doubling a count, bounded while
// the database is away, and all written at close. Fake timers: no test waits on real time.
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  type Access,
  AccessCounts,
  type AccessCountsOptions,
  type Accesses,
} from "../../src/server/store/access-counts.js";

/** A database for the counts: each write's batch, failures on demand, and writes held open. */
function fakeDatabase() {
  const writes: Map<string, Access>[] = [];
  const totals = new Map<string, Access>();
  let failuresToCome = 0;
  let successesFirst = 0;
  let hold: Promise<void> | undefined;
  let inProgress = 0;
  let mostAtOnce = 0;
  const write = async (accesses: Accesses) => {
    inProgress++;
    mostAtOnce = Math.max(mostAtOnce, inProgress);
    try {
      await hold;
      if (successesFirst > 0) successesFirst--;
      else if (failuresToCome > 0) {
        failuresToCome--;
        throw new Error("connection refused");
      }
      writes.push(new Map(accesses));
      for (const [id, { count, at }] of accesses) {
        const stored = totals.get(id);
        totals.set(id, {
          count: (stored?.count ?? 0) + count,
          at: Math.max(stored?.at ?? 0, at),
        });
      }
    } finally {
      inProgress--;
    }
  };
  return {
    write,
    writes,
    totals,
    count: (id: string) => totals.get(id)?.count ?? 0,
    /** Fails the next `times` writes, after `successes` that succeed. */
    fail: (times: number, successes = 0) => {
      failuresToCome = times;
      successesFirst = successes;
    },
    /** Holds every write until the returned release is called. */
    holdWrites: () => {
      let release = () => {};
      hold = new Promise((resolve) => {
        release = () => {
          hold = undefined;
          resolve();
        };
      });
      return release;
    },
    mostAtOnce: () => mostAtOnce,
  };
}

const ids = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("AccessCounts", () => {
  let warn: MockInstance<typeof console.warn>;
  let counts: AccessCounts | undefined;
  const open = (options: AccessCountsOptions) => {
    counts = new AccessCounts(options);
    return counts;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(async () => {
    await counts?.close();
    counts = undefined;
    vi.useRealTimers();
    warn.mockRestore();
  });

  it("writes 100 reads as one batch, a second after the first", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    for (let i = 0; i < 100; i++) accesses.record([`m${i % 10}`], 1_000 + i);
    await vi.advanceTimersByTimeAsync(999);
    expect(db.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(db.writes).toHaveLength(1);
    expect(db.writes[0]?.size).toBe(10);
    expect(db.count("m3")).toBe(10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(db.writes).toHaveLength(1);
  });

  it("counts a repeated id each time and keeps the latest time", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    accesses.record(["a", "a", "b"], 5);
    accesses.record(["a"], 3);
    accesses.record(["b"], 9);
    await accesses.flush();
    expect(db.totals).toEqual(
      new Map([
        ["a", { count: 3, at: 5 }],
        ["b", { count: 2, at: 9 }],
      ]),
    );
  });

  it("writes at once when 1,000 memories are pending, 500 per write", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    accesses.record(ids(999), 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(db.writes).toHaveLength(0);
    accesses.record(["m999"], 1);
    // Not on the read's own turn: the write starts from a timer.
    expect(db.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(db.writes.map((w) => w.size)).toEqual([500, 500]);
  });

  it("keeps the counts of a failed write, tries again later with backoff, and loses nothing", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    db.fail(2);
    accesses.record(["a", "b"], 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("connection refused");
    accesses.record(["a", "c"], 2);
    // The first retry waits 2 s, the second 4 s.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(warn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(warn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(db.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(db.totals).toEqual(
      new Map([
        ["a", { count: 2, at: 2 }],
        ["b", { count: 1, at: 1 }],
        ["c", { count: 1, at: 2 }],
      ]),
    );
    // A success resets the delay.
    accesses.record(["a"], 3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(db.count("a")).toBe(3);
  });

  it("tries again only the writes of a batch that failed, so no count is written twice", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write, writeIds: 2 });
    db.fail(1, 1);
    accesses.record(["a", "b", "c", "d", "e"], 1);
    await accesses.flush();
    expect([...db.totals.keys()]).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(db.totals).toEqual(
      new Map(["a", "b", "c", "d", "e"].map((id) => [id, { count: 1, at: 1 }])),
    );
  });

  it("bounds the memories pending, dropping accesses of others with one warning", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write, maxPendingIds: 3 });
    db.fail(1);
    accesses.record(["a", "b"], 1);
    await vi.advanceTimersByTimeAsync(1_000);
    warn.mockClear();
    // a and b are back, pending: room for one more memory.
    accesses.record(["c", "d", "e"], 2);
    accesses.record(["f", "a"], 2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("3 memories");
    await vi.advanceTimersByTimeAsync(2_000);
    expect(db.totals).toEqual(
      new Map([
        ["a", { count: 2, at: 2 }],
        ["b", { count: 1, at: 1 }],
        ["c", { count: 1, at: 2 }],
      ]),
    );
    // Once written, there is room again.
    accesses.record(["d"], 3);
    await accesses.flush();
    expect(db.count("d")).toBe(1);
  });

  it("counts memories being written toward the bound", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write, maxPendingIds: 2 });
    const release = db.holdWrites();
    accesses.record(["a", "b"], 1);
    await vi.advanceTimersByTimeAsync(1_000);
    accesses.record(["c"], 1);
    expect(warn).toHaveBeenCalledTimes(1);
    release();
    await accesses.flush();
    expect([...db.totals.keys()]).toEqual(["a", "b"]);
  });

  it("never runs two writes at once", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    const release = db.holdWrites();
    accesses.record(["a"], 1);
    await vi.advanceTimersByTimeAsync(1_000);
    accesses.record(ids(2_000), 2);
    const flushed = accesses.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(db.mostAtOnce()).toBe(1);
    release();
    await flushed;
    expect(db.mostAtOnce()).toBe(1);
    expect(db.count("a")).toBe(1);
    expect(db.count("m1999")).toBe(1);
  });

  it("writes what is pending at close, after the write in progress, and counts nothing after", async () => {
    const db = fakeDatabase();
    const accesses = open({ write: db.write });
    const release = db.holdWrites();
    accesses.record(["a"], 1);
    await vi.advanceTimersByTimeAsync(1_000);
    accesses.record(["a", "b"], 2);
    const closed = accesses.close();
    release();
    await closed;
    expect(db.totals).toEqual(
      new Map([
        ["a", { count: 2, at: 2 }],
        ["b", { count: 1, at: 2 }],
      ]),
    );
    expect(vi.getTimerCount()).toBe(0);
    accesses.record(["c"], 3);
    expect(vi.getTimerCount()).toBe(0);
    await accesses.flush();
    expect(db.count("c")).toBe(0);
  });

  it("logs a failed write, thrown or rejected, and leaves no rejection unhandled", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const accesses = open({
        write: (batch) => {
          if (batch.has("sync")) throw new Error("thrown");
          return Promise.reject(new Error("rejected"));
        },
      });
      accesses.record(["sync"], 1);
      await vi.advanceTimersByTimeAsync(1_000);
      await accesses.close();
      const other = new AccessCounts({ write: () => Promise.reject(new Error("rejected")) });
      other.record(["x"], 1);
      await vi.advanceTimersByTimeAsync(1_000);
      await other.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
      const logged = warn.mock.calls.map((call) => String(call[0]));
      expect(logged.some((line) => line.includes("thrown"))).toBe(true);
      expect(logged.some((line) => line.includes("rejected"))).toBe(true);
      expect(logged.at(-1)).toContain("they are lost");
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});

describe("AccessCounts' timer", () => {
  it("never keeps the process alive", async () => {
    const set = vi.spyOn(globalThis, "setTimeout");
    try {
      const accesses = new AccessCounts({ write: async () => {} });
      accesses.record(["a"], 1);
      const timer = set.mock.results.at(-1)?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await accesses.close();
    } finally {
      set.mockRestore();
    }
  });
});
