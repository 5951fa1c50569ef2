/** Writes latest.json, latest.md and latest.svg into the output folder, replacing the last run's. */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { benchReadme } from "../paths.js";
import { formatWithBiome } from "./biome-format.js";
import { renderMarkdown } from "./markdown.js";
import type { BenchResults } from "./results.js";
import { renderSvg } from "./svg.js";
import { targetConcurrency } from "./targets.js";

/** Writes the three files; returns the markdown, for stdout. */
export async function writeResults(results: BenchResults, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const measured = results.settings.concurrency;
  const chartConcurrency = measured.includes(targetConcurrency)
    ? targetConcurrency
    : Math.max(...measured);
  const [markdown, json] = await Promise.all([
    formatWithBiome(
      renderMarkdown(results, { svg: "latest.svg", readme: relative(outDir, benchReadme) }),
      "latest.md",
    ),
    formatWithBiome(JSON.stringify(results, roundFigures, 2), "latest.json"),
  ]);
  await Promise.all([
    writeFile(join(outDir, "latest.json"), json),
    writeFile(join(outDir, "latest.md"), markdown),
    writeFile(join(outDir, "latest.svg"), renderSvg(results, chartConcurrency)),
  ]);
  return markdown;
}

/** Six significant digits are more than any figure here means; the rest is noise in the file. */
function roundFigures(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Number(value.toPrecision(6))
    : value;
}
