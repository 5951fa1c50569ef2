// .ci/breaking holds the contract to the reviewed one, api/contract.binpb: a breaking change fails
// however many commits it spans, and any other change to the contract fails until the image is
// refreshed, so that accepting it is a reviewed diff. Run on a copy of the repository's contract.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const memoryProto = join("proto", "contextiq", "memory", "v1", "memory.proto");
let copy: string;

beforeEach(async () => {
  copy = await mkdtemp(join(tmpdir(), "reviewed-contract-"));
  for (const path of ["proto", "third_party", "buf.yaml", "api/contract.binpb", ".ci/breaking"]) {
    await cp(join(root, path), join(copy, path), { recursive: true });
  }
  await symlink(join(root, "node_modules"), join(copy, "node_modules"));
});
afterEach(async () => {
  await rm(copy, { recursive: true, force: true });
});

/** Edits memory.proto in the copy. */
async function editMemoryProto(edit: (text: string) => string): Promise<void> {
  const path = join(copy, memoryProto);
  const before = await readFile(path, "utf8");
  const after = edit(before);
  expect(after).not.toBe(before);
  await writeFile(path, after);
}

async function checkContract(): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run("bash", [join(copy, ".ci", "breaking")]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { ok: false, output: stdout + stderr };
  }
}

describe(".ci/breaking", () => {
  it("passes the contract as reviewed, and a change of comments only", async () => {
    expect(await checkContract()).toMatchObject({ ok: true });
    await editMemoryProto((text) => `${text}\n// A comment is not a change of the contract.\n`);
    expect(await checkContract()).toMatchObject({ ok: true });
  });

  it("fails a renamed field, naming the line", async () => {
    await editMemoryProto((text) => text.replace(/^ {2}string fact = /m, "  string statement = "));
    const result = await checkContract();
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(
      /memory\.proto:\d+:\d+:Field "3" on message "Memory" changed name/,
    );
  });

  it("fails an addition until the reviewed image is refreshed", async () => {
    await editMemoryProto(
      (text) =>
        `${text}\n// A message added after the review.\nmessage Added {\n  // Its only field.\n  string value = 1;\n}\n`,
    );
    const result = await checkContract();
    expect(result).toMatchObject({ ok: false });
    expect(result.output).toContain("differs from the reviewed contract");
    // Refreshing the image is the step that accepts it.
    await run(
      join(root, "node_modules", ".bin", "buf"),
      ["build", "--exclude-source-info", "-o", join(copy, "api", "contract.binpb")],
      { cwd: copy },
    );
    expect(await checkContract()).toMatchObject({ ok: true });
  });
});
