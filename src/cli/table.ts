/** A column of a {@link renderTable} table. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Numbers read better right-aligned. Defaults to "left". */
  readonly align?: "left" | "right";
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [
    columns.map((column) => column.header),
    ...rows.map((row) => columns.map((column) => oneLine(column.value(row)))),
  ];
  const widths = columns.map((_, index) =>
    Math.max(...cells.map((line) => length(line[index] ?? ""))),
  );
  const lines = cells.map((line) =>
    line
      .map((cell, index) => {
        const pad = " ".repeat((widths[index] ?? 0) - length(cell));
        return columns[index]?.align === "right" ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}

/**
 * One row of a table, its cells two spaces apart and unpadded: for rows printed as they come,
 * before the widest cell of the column is known.
 */
export function renderRow<T>(columns: readonly Column<T>[], row: T): string {
  return `${columns
    .map((column) => oneLine(column.value(row)))
    .join("  ")
    .trimEnd()}\n`;
}

/** `label  value` lines, the values aligned: for one resource, whose fields do not fit a row. */
export function renderDetails(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => length(label)));
  return `${pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join("\n")}\n`;
}

// Code points, not UTF-16 units, so that an emoji in a title does not skew the columns.
function length(text: string): number {
  return [...text].length;
}

// A newline inside a cell would break the table's rows apart.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}
