import { describe, expect, it } from "vitest";
import { PeakEwma } from "../../src/balancer/peak-ewma.js";

describe("PeakEwma", () => {
  it("jumps to a slower observation at once", () => {
    const ewma = new PeakEwma(10_000, 2, 0);
    ewma.observe(50, 1);
    expect(ewma.valueAt(1)).toBe(50);
  });

  it("moves towards faster observations by how long ago the estimate was made", () => {
    const late = new PeakEwma(10_000, 50, 0);
    late.observe(2, 10_000);
    // After one decay time, e^-1 of the old estimate is left.
    expect(late.valueAt(10_000)).toBeCloseTo(50 * Math.exp(-1) + 2 * (1 - Math.exp(-1)), 6);
  });

  it("moves at least a fifth of the way with each faster observation, however soon", () => {
    const ewma = new PeakEwma(10_000, 50, 0);
    ewma.observe(2, 1);
    expect(ewma.valueAt(1)).toBeCloseTo(50 * 0.8 + 2 * 0.2, 6);
    // A stall is forgotten within tens of calls, not seconds.
    for (let i = 2; i < 30; i++) ewma.observe(2, i);
    expect(ewma.valueAt(30)).toBeLessThan(2.1);
  });

  it("forgets a slow estimate while nothing is observed, so a slow endpoint is tried again", () => {
    const ewma = new PeakEwma(10_000, 0, 0);
    ewma.observe(50, 0);
    expect(ewma.valueAt(10_000)).toBeCloseTo(50 * Math.exp(-1), 6);
    expect(ewma.valueAt(60_000)).toBeLessThan(1);
  });
});
