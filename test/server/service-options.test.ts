// The services' options: each limit startServices() now takes reaches both services where that is
// cheap to see, and a bad value of any option in the table is refused with an InvalidOptionError
// naming it, by startServices() before a store opens (nothing written) and by serve() before it
// listens; `contextiq serve` reads the same limits from CONTEXTIQ_* variables.
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { connect as connectHttp2, type Settings } from "node:http2";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { InvalidOptionError } from "../../src/errors/invalid-option-error.js";
import { readServeEnvironment } from "../../src/server/environment.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { serve } from "../../src/server/serve/index.js";
import {
  serviceLimitEntries,
  serviceOptionEntries,
} from "../../src/server/service-option-table.js";

const folder = await mkdtemp(join(tmpdir(), "contextiq-service-options-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

/** Both services' URLs. */
const urls = (services: RunningServices) => [services.sessionsUrl, services.memoryUrl];

describe("startServices limits", () => {
  it("refuses a request message over readMaxBytes with RESOURCE_EXHAUSTED, and takes one under it", async () => {
    await using services = await startServices({ readMaxBytes: 1024 });
    const createSession = (padding: number) =>
      fetch(`${services.sessionsUrl}/contextiq.sessions.v1.SessionsService/CreateSession`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // A field the service does not know is skipped, so only the size tells the two apart.
        body: JSON.stringify({ title: "sized", padding: "x".repeat(padding) }),
      });
    const over = await createSession(1024);
    expect(await over.json()).toMatchObject({ code: "resource_exhausted" });
    const under = await createSession(900);
    expect(await under.json()).toMatchObject({ session: { title: "sized" } });
  });

  it("announces maxConcurrentStreams in each service's HTTP/2 SETTINGS", async () => {
    await using services = await startServices({ maxConcurrentStreams: 7 });
    for (const url of urls(services)) {
      const session = connectHttp2(url);
      onTestFinished(() => {
        session.destroy();
      });
      const [settings] = (await once(session, "remoteSettings")) as [Settings];
      expect(settings.maxConcurrentStreams).toBe(7);
    }
  });

  it("announces idleTimeoutMs to HTTP/1.1 clients as Keep-Alive: timeout=", async () => {
    await using services = await startServices({ idleTimeoutMs: 7_000 });
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    for (const url of urls(services)) {
      const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
        request(`${url}/health`, { agent }, (response) => {
          response.resume();
          resolve(String(response.headers["keep-alive"]));
        })
          .on("error", reject)
          .end();
      });
      expect(keepAlive).toBe("timeout=7");
    }
  });

  it("closes a connection past maxConnections as it comes, and serves the ones within", async () => {
    // A handshake bound far away: the first connection stays for as long as the test needs it.
    await using services = await startServices({
      maxConnections: 1,
      handshakeTimeoutMs: 600_000,
    });
    const { hostname, port } = new URL(services.sessionsUrl);
    const first = connectTcp(Number(port), hostname);
    onTestFinished(() => {
      first.destroy();
    });
    await once(first, "connect");
    const second = connectTcp(Number(port), hostname);
    second.on("error", () => {});
    await once(second, "close");
    first.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    const [answer] = (await once(first.setEncoding("utf8"), "data")) as [string];
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it.each(["min", "max"] as const)(
    "start with every limit at the %s of its range",
    async (bound) => {
      const limits = Object.fromEntries(
        serviceLimitEntries.map((entry) => [entry.path, entry.kind.range?.[bound]]),
      );
      await using services = await startServices(limits);
      // No call at the minimum: a request would have a millisecond to arrive.
      if (bound === "min") return;
      const health = await fetch(`${services.sessionsUrl}/health`);
      expect(health.status).toBe(200);
    },
  );
});

describe("a bad service option", () => {
  const cases = serviceOptionEntries.flatMap((entry) => {
    const { min, max } = entry.kind.range ?? { min: 0, max: 0 };
    return [
      { path: entry.path, value: min - 1 },
      { path: entry.path, value: max + 1 },
      { path: entry.path, value: entry.kind.name === "duration" ? Number.NaN : min + 0.5 },
    ];
  });
  const startServicesCases = cases.filter((c) => c.path !== "port");
  const serveCases = cases.filter((c) => !/^(sessions|memory)Port$/.test(c.path));

  it.each(startServicesCases)(
    "startServices refuses $path: $value, naming it, writing nothing",
    async ({ path, value }) => {
      const dataDir = join(folder, `never-${path}`);
      const error = await startServices({ dataDir, [path]: value }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: path, fromEnvironment: false });
      expect((error as InvalidOptionError).rawMessage).toMatch(
        new RegExp(`^startServices option \`${path}\` must be .*, got ${value}$`),
      );
      expect(existsSync(dataDir)).toBe(false);
    },
  );

  it.each(serveCases)("serve refuses $path: $value, naming it", async ({ path, value }) => {
    const error = await serve({ routes: () => {}, serviceNames: [], [path]: value }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).rawMessage).toMatch(
      new RegExp(`^serve option \`${path}\` must be `),
    );
  });

  it("is refused with dataDir and database together, naming database", async () => {
    const dataDir = join(folder, "never-both");
    const database = { url: "postgres://nobody@127.0.0.1:1/x" };
    const error = await startServices({ dataDir, database }).catch((e: unknown) => e);
    expect(error).toMatchObject({ option: "database", fromEnvironment: false });
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("the limits' CONTEXTIQ_* variables", () => {
  it.each(serviceLimitEntries)("take $variable in the option's unit", (entry) => {
    const text = entry.kind.name === "duration" ? "2.5" : "7";
    const limits = readServeEnvironment({ [entry.variable ?? ""]: text }).limits;
    expect(limits[entry.path as keyof typeof limits]).toBe(
      entry.kind.name === "duration" ? 2_500 : 7,
    );
  });

  it("default to the table's defaults", () => {
    const limits = readServeEnvironment({}).limits;
    for (const entry of serviceLimitEntries) {
      expect(limits[entry.path as keyof typeof limits]).toBe(entry.default);
    }
  });

  it.each(serviceLimitEntries)("refuse a bad $variable, naming it", (entry) => {
    const variable = entry.variable ?? "";
    for (const text of ["soon", "-1", entry.kind.toEnvText?.((entry.kind.range?.max ?? 0) + 1)]) {
      let error: unknown;
      try {
        readServeEnvironment({ [variable]: text });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: variable, fromEnvironment: true });
      expect((error as InvalidOptionError).rawMessage).toMatch(
        new RegExp(`^${variable} must be .*, got "${text}"$`),
      );
    }
  });
});
