// The package as a client user gets it: `npm pack` builds it (prepack), and a real `npm install` of
// the tarball into a fresh project that has its own @connectrpc/connect. The project then calls the
// reference services, which run here from the sources, over both transports.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { cleanNpmEnv } from "./clean-npm-env.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
const minutes = 60_000;

let project: string;
let install: { stdout: string; stderr: string };
let services: RunningServices;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "contextiq-consumer-"));
  const packed = await run("npm", ["pack", "--json", "--pack-destination", project], {
    cwd: root,
    env: cleanNpmEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: {
        "@contextiq/clients": `file:./${filename}`,
        // The application's own copy: the clients must use it, not one of their own.
        "@connectrpc/connect": manifest.devDependencies["@connectrpc/connect"],
        "@types/node": manifest.devDependencies["@types/node"],
      },
    }),
  );
  install = await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts"],
    { cwd: project, env: cleanNpmEnv(), maxBuffer: 64 * 1024 * 1024 },
  );
  services = await startServices();
}, 10 * minutes);

afterAll(async () => {
  await services?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

/** Runs an ES module in the consumer project and returns what it printed, parsed. */
async function runInProject(name: string, code: string, env: NodeJS.ProcessEnv = {}) {
  await writeFile(join(project, name), code);
  const { stdout } = await run(process.execPath, [name], {
    cwd: project,
    env: { PATH: process.env["PATH"], ...env },
  });
  return JSON.parse(stdout);
}

describe("the packed package installed into a fresh project", () => {
  it("installs without the server's dependencies and compiles nothing", async () => {
    const modules = join(project, "node_modules");
    expect(existsSync(join(modules, "@contextiq", "clients", "dist", "src", "index.js"))).toBe(
      true,
    );
    expect(existsSync(join(modules, "better-sqlite3"))).toBe(false);
    expect(existsSync(join(modules, "pg"))).toBe(false);
    // npm records every package with an install script (node-gyp builds are one) in the lock.
    const lock = JSON.parse(await readFile(join(project, "package-lock.json"), "utf8"));
    const scripted = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path);
    expect(scripted).toEqual([]);
    expect(`${install.stdout}\n${install.stderr}`).not.toMatch(/gyp|prebuild/i);
    expect(await nativeAddons(modules)).toEqual([]);
  });

  it("uses the application's @connectrpc/connect: one copy, so instanceof ConnectError holds", async () => {
    const copies = (
      await run("npm", ["ls", "@connectrpc/connect", "--all", "--parseable"], {
        cwd: project,
        env: cleanNpmEnv(),
      })
    ).stdout
      .trim()
      .split("\n");
    expect(copies).toEqual([join(project, "node_modules", "@connectrpc", "connect")]);
  });

  it("calls both services over each transport, and errors are the application's ConnectError", async () => {
    const result = await runInProject(
      "call.mjs",
      `
import { Code, ConnectError } from "@connectrpc/connect";
import { MemoryServiceClient, SessionsServiceClient, ConnectError as Reexported } from "@contextiq/clients";
const out = { sameClass: Reexported === ConnectError };
for (const transport of ["json", "grpc"]) {
  const sessions = new SessionsServiceClient({ transport });
  const memory = new MemoryServiceClient({ transport });
  const session = await sessions.createSession({ scope: { user_id: "u-" + transport } });
  const event = await sessions.createEvent({ sessionId: session.id, eventType: "message", data: { content: "hi" } });
  const stored = await memory.createMemory({ scope: { user_id: "u-" + transport }, fact: "likes tea", topic: "drinks" });
  let error;
  try { await sessions.getSession("00000000-0000-4000-8000-000000000000"); } catch (caught) { error = caught; }
  out[transport] = {
    events: (await sessions.listEvents(session.id)).map((e) => e.id).join() === event.id,
    memory: (await memory.getMemory(stored.id)).fact,
    instanceOf: error instanceof ConnectError,
    notFound: error?.code === Code.NotFound,
  };
  await Promise.all([sessions.close(), memory.close()]);
}
console.log(JSON.stringify(out));
`,
      { SESSIONS_SERVICE_URL: services.sessionsUrl, MEMORY_SERVICE_URL: services.memoryUrl },
    );
    const ok = { events: true, memory: "likes tea", instanceOf: true, notFound: true };
    expect(result).toEqual({ sameClass: true, json: ok, grpc: ok });
  });

  it("type-checks a TypeScript consumer of the root and the transport subpath", async () => {
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["consumer.ts"],
      }),
    );
    await writeFile(
      join(project, "consumer.ts"),
      `
import { type ClientOptions, type Memory, MemoryServiceClient, ErrorInfoSchema, BadRequestSchema, ConnectError } from "@contextiq/clients";
import { createHttp2GrpcTransport } from "@contextiq/clients/transport";
const options: ClientOptions = { transport: "grpc", hedging: { delayMs: 50 }, readCache: { ttlMs: 1000 } };
const client = new MemoryServiceClient(options);
export async function fact(id: string): Promise<string> {
  try {
    const memory: Memory = await client.getMemory(id);
    return memory.fact;
  } catch (error) {
    const reason = ConnectError.from(error).findDetails(ErrorInfoSchema)[0]?.reason;
    const fields = ConnectError.from(error).findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
    return \`\${reason} \${fields}\`;
  }
}
export const transport = createHttp2GrpcTransport({ baseUrl: "http://127.0.0.1:1" });
`,
    );
    const tsc = join(root, "node_modules", ".bin", "tsc");
    const checked = await run(tsc, ["-p", "."], { cwd: project }).catch((error) => error);
    expect(`${checked.stdout ?? ""}${checked.stderr ?? ""}`).toBe("");
  });

  it("says what to install when the reference services' dependencies are missing", async () => {
    const result = await runInProject(
      "server.mjs",
      `
import { startServices } from "@contextiq/clients/server";
const messageOf = (promise) => promise.then(() => "started", (error) => error.message);
console.log(JSON.stringify({
  sqlite: await messageOf(startServices()),
  postgres: await messageOf(startServices({ database: { url: "postgres://nobody@127.0.0.1:1/nothing" } })),
}));
`,
    );
    expect(result.sqlite).toContain(
      `npm install better-sqlite3@${manifest.peerDependencies["better-sqlite3"]}`,
    );
    expect(result.postgres).toContain(`npm install pg@${manifest.peerDependencies.pg}`);

    const serve = await run(join(project, "node_modules", ".bin", "contextiq"), ["serve"], {
      cwd: project,
      env: {
        PATH: process.env["PATH"],
        SESSIONS_SERVICE_URL: "http://127.0.0.1:0",
        MEMORY_SERVICE_URL: "http://127.0.0.1:0",
      },
    }).catch((error) => error);
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toContain(
      `npm install better-sqlite3@${manifest.peerDependencies["better-sqlite3"]}`,
    );
  });
});

/** Compiled native modules (*.node) anywhere under `dir`. */
async function nativeAddons(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((entry) => entry.endsWith(".node"));
}
