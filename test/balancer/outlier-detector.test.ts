import { describe, expect, it } from "vitest";
import { Endpoint, type EndpointAddress } from "../../src/balancer/endpoint.js";
import { OutlierDetector } from "../../src/balancer/outlier-detector.js";
import { parseServiceUrls } from "../../src/balancer/service-urls.js";

/** Endpoints whose sends are never called: the detector only reads and writes their state. */
function endpoints(count: number): Endpoint[] {
  const [target] = parseServiceUrls("http://service.test:8001");
  return Array.from({ length: count }, (_, i) => {
    const where: EndpointAddress = {
      target: target as EndpointAddress["target"],
      address: `127.0.0.${i + 1}`,
      origin: `http://127.0.0.${i + 1}:8001`,
    };
    const send = () => Promise.reject(new Error("not sent"));
    return new Endpoint(where, { send, stream: send, release() {} }, 10_000, 0, 0);
  });
}

const envoyDefaults = {
  consecutiveFailures: 5,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 50,
  intervalMs: 10_000,
};

describe("OutlierDetector", () => {
  it("ejects an endpoint after 5 failures in a row, and a success in between resets the count", () => {
    const all = endpoints(3);
    const detector = new OutlierDetector(envoyDefaults, () => all);
    const [a] = all as [Endpoint];
    for (let i = 0; i < 4; i++) detector.failed(a, 0);
    detector.succeeded(a);
    for (let i = 0; i < 4; i++) detector.failed(a, 0);
    expect(detector.isEjected(a, 0)).toBe(false);
    detector.failed(a, 0);
    expect(detector.isEjected(a, 0)).toBe(true);
    expect(a.state).toBe("ejected");
  });

  it("brings an ejected endpoint back on probation, and ejects it again for longer on its next failure", () => {
    const all = endpoints(3);
    const detector = new OutlierDetector(envoyDefaults, () => all);
    const [a] = all as [Endpoint];
    for (let i = 0; i < 5; i++) detector.failed(a, 0);
    expect(detector.isEjected(a, 29_999)).toBe(true);
    expect(detector.isEjected(a, 30_000)).toBe(false);
    expect(a.state).toBe("probation");
    detector.failed(a, 30_000);
    // The second ejection lasts twice the base.
    expect(detector.isEjected(a, 30_000 + 59_999)).toBe(true);
    expect(detector.isEjected(a, 30_000 + 60_000)).toBe(false);
    detector.succeeded(a);
    expect(a.state).toBe("serving");
  });

  it("never ejects more than half of the endpoints, nor a lone one", () => {
    const all = endpoints(4);
    const detector = new OutlierDetector(envoyDefaults, () => all);
    for (const e of all) for (let i = 0; i < 5; i++) detector.failed(e, 0);
    expect(all.filter((e) => detector.isEjected(e, 0))).toHaveLength(2);
    const lone = endpoints(1);
    const alone = new OutlierDetector(envoyDefaults, () => lone);
    for (let i = 0; i < 10; i++) alone.failed(lone[0] as Endpoint, 0);
    expect(alone.isEjected(lone[0] as Endpoint, 0)).toBe(false);
  });

  it("ejects a success-rate outlier among five busy endpoints, and forgives ejections over quiet intervals", () => {
    const all = endpoints(6);
    const detector = new OutlierDetector(envoyDefaults, () => all);
    for (const [i, e] of all.entries()) {
      for (let n = 0; n < 100; n++) {
        // One in four of the last endpoint's calls fail, never four in a row.
        if (i === 5 && n % 4 === 0) detector.failed(e, 0);
        else detector.succeeded(e);
      }
    }
    expect(all.some((e) => detector.isEjected(e, 0))).toBe(false);
    detector.interval(0);
    const last = all[5] as Endpoint;
    expect(all.map((e) => detector.isEjected(e, 1))).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(last.ejections).toBe(1);
    detector.isEjected(last, 30_000);
    detector.interval(40_000);
    expect(last.ejections).toBe(0);
  });
});
