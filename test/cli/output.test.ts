// Tables and the progress display, in-process.
import { describe, expect, it } from "vitest";
import type { OutputStream } from "../../src/cli/io.js";
import { progressDisplay } from "../../src/cli/progress.js";
import { renderDetails, renderTable } from "../../src/cli/table.js";

describe("renderTable", () => {
  it("aligns columns, right-aligns numbers and keeps each row on one line", () => {
    const rows = [
      { name: "tea", count: 7 },
      { name: "green\ntea", count: 12 },
    ];
    const table = renderTable(
      [
        { header: "NAME", value: (r: (typeof rows)[number]) => r.name },
        { header: "COUNT", value: (r) => String(r.count), align: "right" },
      ],
      rows,
    );
    expect(table).toBe("NAME       COUNT\ntea            7\ngreen tea     12\n");
  });

  it("prints the header of an empty table", () => {
    expect(renderTable([{ header: "ID", value: String }], [])).toBe("ID\n");
  });

  it("aligns the values of details", () => {
    expect(
      renderDetails([
        ["id", "1"],
        ["last activity", "-"],
      ]),
    ).toBe("id             1\nlast activity  -\n");
  });
});

describe("progressDisplay", () => {
  function stream(isTTY: boolean): OutputStream & { written: string } {
    const fake = {
      isTTY,
      columns: 80,
      written: "",
      write(chunk: string) {
        fake.written += chunk;
        return true;
      },
    };
    return fake;
  }

  it("draws a bar per stage on a terminal", () => {
    const tty = stream(true);
    const progress = progressDisplay(tty);
    progress.onProgress?.({ stage: "extract", done: 5, total: 10 });
    progress.onProgress?.({ stage: "create-memories", done: 1 });
    progress.finish();
    expect(tty.written).toBe("\r[##########----------] 5/10 extract\n\rcreate-memories 1\n");
  });

  it("stays silent when not on a terminal", () => {
    const piped = stream(false);
    const progress = progressDisplay(piped);
    expect(progress.onProgress).toBeUndefined();
    progress.finish();
    expect(piped.written).toBe("");
  });
});
