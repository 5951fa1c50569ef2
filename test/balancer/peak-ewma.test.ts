import { describe, expect, it } from "vitest";
import { PeakEwma } from "../../src/balancer/peak-ewma.js";

describe("PeakEwma", () => {
  it("jumps to a slower observation at once", () => {
    const ewma = new PeakEwma(10_000, 2, 0);
    ewma.observe(50, 1);
    expect(ewma.valueAt(1)).toBe(50);
  });

  it("moves towards faster observations by how long ago the estimate was made", () => {
    const soon = new PeakEwma(10_000, 50, 0);
    soon.observe(2, 10);
    const late = new PeakEwma(10_000, 50, 0);
    late.observe(2, 10_000);
    expect(soon.valueAt(10)).toBeGreaterThan(49);
    // After one decay time, e^-1 of the old estimate is left.
    expect(late.valueAt(10_000)).toBeCloseTo(50 * Math.exp(-1) + 2 * (1 - Math.exp(-1)), 6);
  });

  it("forgets a slow estimate while nothing is observed, so a slow endpoint is tried again", () => {
    const ewma = new PeakEwma(10_000, 0, 0);
    ewma.observe(50, 0);
    expect(ewma.valueAt(10_000)).toBeCloseTo(50 * Math.exp(-1), 6);
    expect(ewma.valueAt(60_000)).toBeLessThan(1);
  });
});
