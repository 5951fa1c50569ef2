/** Per-call durations in a growable Float64Array: no boxed numbers, little garbage per call. */
export class LatencyRecorder {
  private values = new Float64Array(16_384);
  private count = 0;

  record(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** The recorded durations, ascending. */
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}
