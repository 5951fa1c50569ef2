/** Cell formats the sections of storage.md share. */

/** A count with thousands separators: 100,000. */
export const count = (n: number) => n.toLocaleString("en-US");

/** An error message on one line, for a list item. */
export const oneLine = (text: string | null) => (text ?? "no message").replace(/\s+/g, " ");

/** Bytes as megabytes, one decimal. */
export const megabytes = (bytes: number | null) =>
  bytes === null ? "–" : (bytes / 1_048_576).toFixed(1);

export const engineNames = { sqlite: "SQLite", postgres: "PostgreSQL" } as const;

/** A table: a header row, its alignment row, and the rows; cells escape `|`. */
export function table(head: readonly string[], align: string, rows: readonly string[][]): string[] {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(head), align, ...rows.map(line)];
}
