/**
 * Formats the generated latest.md and latest.json as Biome would, so that `biome ci` passes on a
 * fresh run's results as on any hand-written file. Uses the repository's own Biome and config,
 * reading from stdin; if Biome cannot run, the text is written as it is, with a warning.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "../paths.js";

/** `text` formatted as the file `name` would be in bench/results. */
export async function formatWithBiome(text: string, name: string): Promise<string> {
  try {
    const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
    return await new Promise((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [biome, "format", `--stdin-file-path=${join("bench", "results", name)}`],
        { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end(text);
    });
  } catch (error) {
    process.stderr.write(`warning: ${name} left unformatted, Biome failed: ${String(error)}\n`);
    return text;
  }
}
