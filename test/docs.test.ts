// The documentation holds: every TypeScript snippet of README.md and docs/*.md runs as written,
// against the reference services, with the package's import specifiers pointed at the sources;
// every relative link leads to a file that exists, and every anchor to a heading of its page; and
// no page cites what a reader cannot open.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientOptionEntries } from "../src/client/client-option-table.js";
import { type RunningServices, startServices } from "../src/server/index.js";
import { serviceLimitEntries } from "../src/server/service-option-table.js";

const root = join(import.meta.dirname, "..");
const scratch = join(root, "test", ".readme");

/** The package's import specifiers, and the sources they stand for in the snippets. */
const specifiers: Record<string, string> = {
  "@contextiq/clients": "src/index.ts",
  "@contextiq/clients/server": "src/server/index.ts",
  "@contextiq/clients/transport": "src/transport/index.ts",
};

/** Exported from `@contextiq/clients/transport` (or not at all), never from the package root. */
const notInRoot = [
  "createHttp1JsonTransport",
  "createHttp2GrpcTransport",
  "Http2ConnectionPool",
  "createKeepAliveAgent",
  "createRetryInterceptor",
  "RuleBasedExtractor",
  "ResolvedOptions",
];

interface Fence {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The last heading above it. */
  readonly heading: string;
}

interface Page {
  /** Relative to the repository, e.g. "docs/reliability.md". */
  readonly path: string;
  readonly text: string;
  readonly fences: Fence[];
  /** The text outside code fences, line by line (fence lines blank), for links and headings. */
  readonly prose: string[];
  readonly headings: string[];
}

function parse(path: string, text: string): Page {
  const fences: Fence[] = [];
  const prose: string[] = [];
  const headings: string[] = [];
  let open: { marker: string; lang: string; line: number; lines: string[] } | undefined;
  text.split("\n").forEach((line, i) => {
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (open) {
      prose.push("");
      if (fence?.[1]?.startsWith(open.marker) && line.trim() === fence[1]) {
        fences.push({
          lang: open.lang,
          code: `${open.lines.join("\n")}\n`,
          line: open.line,
          heading: headings.at(-1) ?? "top",
        });
        open = undefined;
      } else {
        open.lines.push(line);
      }
      return;
    }
    if (fence?.[1]) {
      open = { marker: fence[1], lang: fence[2] ?? "", line: i + 1, lines: [] };
      prose.push("");
      return;
    }
    prose.push(line);
    const heading = /^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading) headings.push(heading);
  });
  if (open) throw new Error(`${path}:${open.line}: a code fence is never closed`);
  return { path, text, fences, prose, headings };
}

/** GitHub's anchor for a heading: its text as rendered, lower-cased, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]*>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replaceAll(" ", "-");
}

/** The anchors of a page's headings; a repeated one gets -1, -2, ... as on GitHub. */
function anchors(page: Page): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const heading of page.headings) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The link targets of a page's prose: inline links, images and reference definitions. */
function links(page: Page): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  page.prose.forEach((raw, i) => {
    // Code spans hold no links, but may be a link's text: keep their words, drop their backticks.
    const line = raw.replace(/(`+)(.+?)\1/g, (_, _ticks, code: string) =>
      code.replace(/[[\]()]/g, ""),
    );
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1] ?? "", line: i + 1 });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (definition?.[1]) found.push({ target: definition[1], line: i + 1 });
  });
  return found;
}

async function readPage(path: string): Promise<Page> {
  return parse(path, await readFile(join(root, path), "utf8"));
}

const docs = (await readdir(join(root, "docs")))
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => `docs/${name}`);
const pages = await Promise.all(["README.md", ...docs].map(readPage));
/** Pages whose links and citations are checked too, though their snippets are not run. */
const alsoChecked = await Promise.all(["bench/README.md", "CHANGELOG.md"].map(readPage));
const byPath = new Map<string, Page>();

async function pageAt(path: string): Promise<Page> {
  let page = byPath.get(path);
  if (!page) {
    page = await readPage(path);
    byPath.set(path, page);
  }
  return page;
}

/** A snippet's source with the package's specifiers pointed at the sources. */
function toSources(code: string): string {
  let source = code;
  for (const [specifier, path] of Object.entries(specifiers)) {
    source = source.replaceAll(JSON.stringify(specifier), JSON.stringify(join(root, path)));
  }
  return source;
}

function snippetsOf(page: Page) {
  return page.fences
    .filter((fence) => fence.lang === "ts")
    .map((fence, i) => ({
      name: `snippet ${i + 1} (line ${fence.line}) under "${fence.heading}"`,
      code: fence.code,
    }));
}

/** The relative links of a page that lead to no file, or to no heading of their page. */
async function brokenLinks(page: Page): Promise<string[]> {
  const broken: string[] = [];
  for (const { target, line } of links(page)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
    const [path = "", anchor] = target.split("#");
    const file = path === "" ? page.path : relative(root, join(root, dirname(page.path), path));
    const where = `${page.path}:${line}: ${target}`;
    if (file.startsWith("..") || !existsSync(join(root, file))) {
      broken.push(`${where} (no such file)`);
    } else if (anchor !== undefined) {
      if (!file.endsWith(".md")) {
        broken.push(`${where} (an anchor into a file that is not markdown)`);
      } else if (!anchors(await pageAt(file)).has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  return broken;
}

/** Lines that cite a document or an issue a reader of the repository cannot open. */
function unopenable(page: Page): string[] {
  const cited: string[] = [];
  page.text.split("\n").forEach((line, i) => {
    // Full links to public trackers (github.com/grpc/grpc-node/issues/123) are fine.
    const text = line.replace(/https?:\/\/\S+/g, "");
    if (/DESIGN\.md|\.\.\/shared\/|\bissues? #?\d+|(^|[\s(])#\d+\b/i.test(text)) {
      cited.push(`${page.path}:${i + 1}: ${line.trim()}`);
    }
  });
  return cited;
}

let services: RunningServices | undefined;
const saved = { ...process.env };
beforeAll(async () => {
  services = await startServices();
  process.env["SESSIONS_SERVICE_URL"] = services.sessionsUrl;
  process.env["MEMORY_SERVICE_URL"] = services.memoryUrl;
  await mkdir(scratch, { recursive: true });
});
afterAll(async () => {
  process.env = saved;
  await services?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("the documentation", () => {
  it("has TypeScript snippets, in the README and in docs/", () => {
    const [readme, ...rest] = pages.map((page) => snippetsOf(page).length);
    expect(readme).toBeGreaterThanOrEqual(3);
    expect(rest.reduce((sum, n) => sum + (n ?? 0), 0)).toBeGreaterThanOrEqual(8);
  });

  it("keeps the README short, with both clients in a quick start on its first screen", () => {
    const readme = pages[0];
    expect(readme?.path).toBe("README.md");
    expect(Buffer.byteLength(readme?.text ?? "")).toBeLessThanOrEqual(15 * 1024);
    const first = readme?.fences.find((fence) => fence.lang === "ts");
    expect(first?.line).toBeLessThanOrEqual(40);
    expect(first?.code).toMatch(/new SessionsServiceClient\(/);
    expect(first?.code).toMatch(/new MemoryServiceClient\(/);
    expect(first?.code).toMatch(/transport: "grpc"/);
    expect(first?.code).toMatch(/transport: "json"/);
  });

  it("has snippets that type-check as the repository's own code does", async () => {
    const dir = join(scratch, "typecheck");
    await mkdir(dir, { recursive: true });
    for (const page of pages) {
      for (const [i, { code }] of snippetsOf(page).entries()) {
        await writeFile(
          join(dir, `${page.path.replace(/\W+/g, "-")}-${i + 1}.ts`),
          toSources(code),
        );
      }
    }
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(root, "tsconfig.json"),
        compilerOptions: { allowImportingTsExtensions: true },
        include: ["*.ts"],
      }),
    );
    const tsc = join(root, "node_modules", ".bin", "tsc");
    const result = await promisify(execFile)(tsc, ["--noEmit", "-p", dir]).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
    );
    expect(result.stdout.replaceAll(`${dir}/`, "")).toBe("");
  }, 60_000);

  it("links to every page of docs/ from docs/README.md", async () => {
    const index = await pageAt("docs/README.md");
    const linked = new Set(links(index).map(({ target }) => target.split("#")[0]));
    for (const path of docs.filter((path) => path !== "docs/README.md")) {
      expect(linked, `docs/README.md links to ${path}`).toContain(relative("docs", path));
    }
  });
});

for (const page of pages) {
  describe(page.path, () => {
    const snippets = snippetsOf(page);

    it("links only to files that exist, and to headings that exist in them", async () => {
      expect(await brokenLinks(page)).toEqual([]);
    });

    it("marks only TypeScript it runs as ts", () => {
      const escaping = page.fences.filter((fence) =>
        /^(typescript|tsx|mts|cts)$/i.test(fence.lang),
      );
      expect(escaping.map((fence) => `${page.path}:${fence.line}`)).toEqual([]);
    });

    it("imports transport internals from @contextiq/clients/transport, not the package root", () => {
      const wrong: string[] = [];
      for (const fence of page.fences) {
        const imports = fence.code.matchAll(
          /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']@contextiq\/clients["']/g,
        );
        for (const [, names = ""] of imports) {
          for (const name of notInRoot) {
            if (new RegExp(`\\b${name}\\b`).test(names)) {
              wrong.push(`${page.path}:${fence.line}: ${name}`);
            }
          }
        }
      }
      expect(wrong).toEqual([]);
    });

    it("cites nothing a reader cannot open: no DESIGN.md, ../shared/ or internal issue numbers", () => {
      expect(unopenable(page)).toEqual([]);
    });

    if (snippets.length === 0) return;

    // The clients in the snippets take their transport from the environment, as a worker's would.
    describe.each(["json", "grpc"])("with *_SERVICE_TRANSPORT=%s", (transport) => {
      beforeAll(() => {
        process.env["SESSIONS_SERVICE_TRANSPORT"] = transport;
        process.env["MEMORY_SERVICE_TRANSPORT"] = transport;
      });

      for (const { name, code } of snippets) {
        it(`runs ${name}`, async () => {
          const source = toSources(code);
          // One file per page, snippet and transport: a module runs only when first imported.
          const file = join(
            scratch,
            `${transport}-${page.path}-${name}.ts`.replace(/[^\w.]+/g, "-"),
          );
          await writeFile(file, source);
          const log = vi.spyOn(console, "log").mockImplementation(() => {});
          const error = vi.spyOn(console, "error").mockImplementation(() => {});
          try {
            await import(pathToFileURL(file).href);
            const printed = [...log.mock.calls, ...error.mock.calls].map((args) => args.join(" "));
            if (code.includes("class MemoryGenerationProcessor")) expect(printed).toEqual(["1"]);
            if (code.includes('console.error("Session not found")')) {
              expect(printed).toEqual(["Session not found"]);
            }
            if (code.includes("findDetails(BadRequestSchema)")) {
              expect(printed).toEqual([
                "title must be at most 500 characters, got 501",
                "SESSION_ENDED",
              ]);
            }
          } finally {
            log.mockRestore();
            error.mockRestore();
          }
        });
      }
    });
  });
}

for (const page of alsoChecked) {
  describe(page.path, () => {
    it("links only to files that exist, and to headings that exist in them", async () => {
      expect(await brokenLinks(page)).toEqual([]);
    });

    it("cites nothing a reader cannot open: no DESIGN.md, ../shared/ or internal issue numbers", () => {
      expect(unopenable(page)).toEqual([]);
    });
  });
}

// Comments are read too: the code's own files may not cite what a reader cannot open either.
describe("the code's comments", () => {
  const folders = ["src", "test", "bench", "scripts", "proto", ".ci"];
  const skipped = [join("test", ".readme"), join("bench", "results"), join("test", "docs.test.ts")];

  it("cite no DESIGN.md, ../shared/ or internal issue numbers", async () => {
    const cited: string[] = [];
    for (const folder of folders) {
      for (const entry of await readdir(join(root, folder), { recursive: true })) {
        const path = join(folder, entry);
        if (skipped.some((skip) => path.startsWith(skip))) continue;
        if (!/\.(ts|mjs|proto|md)$|^\.ci\/[a-z-]+$/.test(path)) continue;
        const text = await readFile(join(root, path), "utf8").catch(() => "");
        text.split("\n").forEach((line, i) => {
          const withoutLinks = line.replace(/https?:\/\/\S+/g, "");
          if (/DESIGN\.md|\.\.\/shared\/|\bissues? #?\d+\b/i.test(withoutLinks)) {
            cited.push(`${path}:${i + 1}: ${line.trim()}`);
          }
        });
      }
    }
    expect(cited).toEqual([]);
  });
});

// The option tables are what the code reads; the pages that list the options must list them all.
describe("the pages that list options", () => {
  it("the README's configuration names every client option and variable of the table", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const configuration = readme.slice(
      readme.indexOf("## Configuration"),
      readme.indexOf("## Errors"),
    );
    const missing = clientOptionEntries.flatMap((entry) => {
      const option = entry.path.split(".")[0] ?? entry.path;
      return [
        ...(configuration.includes(`\`${option}\``) ? [] : [`option ${option}`]),
        ...(entry.variable === undefined || configuration.includes(`*_${entry.variable}`)
          ? []
          : [`variable *_${entry.variable}`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it("docs/services.md names every limit of the services' table, with its variable", async () => {
    const services = await readFile(join(root, "docs", "services.md"), "utf8");
    const missing = serviceLimitEntries.flatMap((entry) => [
      ...(services.includes(`\`${entry.path}\``) ? [] : [`option ${entry.path}`]),
      ...(entry.variable === undefined || services.includes(`\`${entry.variable}\``)
        ? []
        : [`variable ${entry.variable}`]),
    ]);
    expect(missing).toEqual([]);
  });
});
