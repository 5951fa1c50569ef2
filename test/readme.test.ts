// Every TypeScript snippet of the README runs as written, against the reference services, with
// the package's import specifiers pointed at the sources.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningServices, startServices } from "../src/server/index.js";

const root = join(import.meta.dirname, "..");
const scratch = join(root, "test", ".readme");
const readme = await readFile(join(root, "README.md"), "utf8");
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match, i) => {
  const before = readme.slice(0, match.index);
  const heading = [...before.matchAll(/^#+ (.+)$/gm)].at(-1)?.[1] ?? "top";
  return { name: `snippet ${i + 1} under "${heading}"`, code: match[1] ?? "" };
});

let services: RunningServices;
const saved = { ...process.env };
beforeAll(async () => {
  services = await startServices();
  process.env["SESSIONS_SERVICE_URL"] = services.sessionsUrl;
  process.env["MEMORY_SERVICE_URL"] = services.memoryUrl;
  await mkdir(scratch, { recursive: true });
});
afterAll(async () => {
  process.env = saved;
  await services.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("the README", () => {
  it("has TypeScript snippets", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(6);
  });
});

// The clients in the snippets take their transport from the environment, as a worker's would.
describe.each(["json", "grpc"])("the README with *_SERVICE_TRANSPORT=%s", (transport) => {
  beforeAll(() => {
    process.env["SESSIONS_SERVICE_TRANSPORT"] = transport;
    process.env["MEMORY_SERVICE_TRANSPORT"] = transport;
  });

  it.each(snippets)("runs $name", async ({ name, code }) => {
    const source = code
      .replaceAll('"@contextiq/clients/server"', JSON.stringify(join(root, "src/server/index.ts")))
      .replaceAll('"@contextiq/clients"', JSON.stringify(join(root, "src/index.ts")));
    // One file per transport: a module runs only the first time it is imported.
    const file = join(scratch, `${transport}-${name.replace(/\W+/g, "-")}.ts`);
    await writeFile(file, source);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      const printed = [...log.mock.calls, ...error.mock.calls].map((args) => args.join(" "));
      if (code.includes("class MemoryGenerationProcessor")) expect(printed).toEqual(["1"]);
      if (code.includes("ServiceUnavailableError")) expect(printed).toEqual(["Session not found"]);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });
});
