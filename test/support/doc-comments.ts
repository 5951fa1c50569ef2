// The doc comments of an interface's members, read from its source file as text: tests hold them
// to the option tables, so that the documentation cannot drift from what the code does.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/**
 * The doc comment of each member of `export interface <name>` in the file at `path` (from the
 * repository's root), by member name, as one line of text without the comment's stars.
 */
export function memberDocs(path: string, name: string): Map<string, string> {
  const source = readFileSync(join(root, path), "utf8");
  const start = source.indexOf(`export interface ${name} `);
  if (start === -1) throw new Error(`${path} has no interface ${name}`);
  const body = source.slice(start, source.indexOf("\n}", start));
  const docs = new Map<string, string>();
  for (const [, comment = "", member = ""] of body.matchAll(
    /\/\*\*([\s\S]*?)\*\/\s*(?:readonly\s+)?(\w+)\??:/g,
  )) {
    docs.set(
      member,
      comment
        .split("\n")
        .map((line) => line.replace(/^\s*\*\s?/, "").trim())
        .filter((line) => line !== "")
        .join(" "),
    );
  }
  return docs;
}

/** What a doc comment says a default is: the words of "Defaults to <phrase>.", if it has them. */
export function documentedDefault(doc: string): string | undefined {
  return /\bDefaults to (.+?)\.(?:\s|$)/.exec(doc)?.[1];
}

/**
 * The ways a doc comment may write `value`, a default of the option kind `kind`: 30000 ms as
 * "30 seconds" or "30 s", 300000 ms as "5 minutes", 4194304 bytes as "4 MiB", "json" quoted,
 * `false` (a feature off) as "off", none as "none".
 */
export function defaultPhrases(kind: string, value: unknown): string[] {
  if (value === undefined) return ["none"];
  if (value === false) return ["off"];
  if (typeof value === "string") return [JSON.stringify(value)];
  if (typeof value !== "number") return [String(value)];
  if (kind === "duration") {
    const seconds = value / 1000;
    const minutes = value / 60_000;
    return [
      `${seconds} second${seconds === 1 ? "" : "s"}`,
      `${seconds} s`,
      ...(Number.isInteger(minutes) ? [`${minutes} minute${minutes === 1 ? "" : "s"}`] : []),
    ];
  }
  const mebibytes = value / (1024 * 1024);
  return [String(value), ...(Number.isInteger(mebibytes) ? [`${mebibytes} MiB`] : [])];
}
