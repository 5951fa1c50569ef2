/**
 * latest.svg, written by hand: for each call, one row per variant with a bar per server, client
 * CPU µs per call on the left and requests per second on the right, at one concurrency. Plain SVG
 * with a white background, so that GitHub shows it the same in light and dark mode.
 */
import type { ServerName } from "../catalog.js";
import { invalidReason } from "./cells.js";
import { sig3 } from "./format.js";
import type { BenchResults, CellResult } from "./results.js";

const colors: Readonly<Record<ServerName, string>> = {
  reference: "#4e79a7",
  canned: "#f28e2b",
  grpcjs: "#59a14f",
};

const width = 980;
const labelRight = 150;
const panels = [
  { key: "cpuUsPerCall", title: "client CPU µs per call (lower is better)", left: 165, right: 545 },
  { key: "rps", title: "requests per second (higher is better)", left: 595, right: 955 },
] as const;
const barHeight = 9;
const barGap = 2;
const rowGap = 9;

export function renderSvg(results: BenchResults, concurrency: number): string {
  const cells = results.cells.filter((c) => c.concurrency === concurrency);
  const servers = [...new Set(cells.map((c) => c.server))];
  const calls = [...new Set(cells.map((c) => c.call))];
  const parts: string[] = [];
  const title = `Client CPU per call and requests per second at concurrency ${concurrency}, medians of ${results.settings.rounds} round(s)`;
  let y = 30;
  parts.push(text(16, y, title, { size: 15, weight: "bold" }));
  y += 20;
  parts.push(
    text(
      16,
      y,
      `${results.startedAt.slice(0, 10)} · ${results.machine.cpuModel} × ${results.machine.cpuCount} · Node ${results.machine.node}`,
      {
        size: 11,
        fill: "#555",
      },
    ),
  );
  y += 22;
  let legendX = 16;
  for (const server of servers) {
    parts.push(rect(legendX, y - 9, 10, 10, colors[server]));
    parts.push(text(legendX + 14, y, `${server} server`, { size: 12 }));
    legendX += 14 + (server.length + 7) * 7 + 24; // about 7 px per character at 12 px
  }
  y += 14;

  for (const call of calls) {
    const callCells = cells.filter((c) => c.call === call);
    const variants = [...new Set(callCells.map((c) => c.variant))];
    y += 24;
    parts.push(text(16, y, call, { size: 14, weight: "bold" }));
    for (const panel of panels) {
      parts.push(text(panel.left, y, panel.title, { size: 11, fill: "#555" }));
    }
    y += 10;
    const max = Object.fromEntries(
      panels.map((p) => [
        p.key,
        Math.max(0, ...callCells.filter((c) => c.valid).map((c) => c.median[p.key] ?? 0)),
      ]),
    ) as Record<(typeof panels)[number]["key"], number>;
    for (const variant of variants) {
      const rowCells = servers
        .map((server) => callCells.find((c) => c.server === server && c.variant === variant))
        .filter((c): c is CellResult => c !== undefined);
      const rowHeight = rowCells.length * (barHeight + barGap) - barGap;
      parts.push(text(labelRight, y + rowHeight / 2 + 4, variant, { size: 12, anchor: "end" }));
      for (const cell of rowCells) {
        for (const panel of panels) parts.push(bar(cell, panel, max[panel.key], y));
        y += barHeight + barGap;
      }
      y += rowGap - barGap;
      parts.push(
        `<line x1="16" x2="${width - 16}" y1="${y - rowGap / 2}" y2="${y - rowGap / 2}" stroke="#eee"/>`,
      );
    }
  }
  y += 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function bar(cell: CellResult, panel: (typeof panels)[number], max: number, y: number): string {
  const value = cell.median[panel.key];
  const invalid = invalidReason(cell);
  if (invalid !== null || value === null) {
    return text(panel.left + 2, y + barHeight - 1, invalid ?? "–", { size: 10, fill: "#c00" });
  }
  const length = max > 0 ? ((panel.right - panel.left - 60) * value) / max : 0;
  return [
    rect(panel.left, y, Math.max(1, length), barHeight, colors[cell.server]),
    text(panel.left + length + 4, y + barHeight - 1, sig3(value), { size: 10 }),
  ].join("");
}

function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h}" fill="${fill}"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size: number; weight?: string; fill?: string; anchor?: string },
): string {
  const attributes = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    `font-size="${style.size}"`,
    style.weight ? `font-weight="${style.weight}"` : "",
    `fill="${style.fill ?? "#222"}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : "",
  ].filter((a) => a !== "");
  return `<text ${attributes.join(" ")}>${escapeXml(content)}</text>`;
}

function escapeXml(content: string): string {
  return content.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
