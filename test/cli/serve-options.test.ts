// `contextiq serve`'s limits, in-process: --help lists each CONTEXTIQ_* variable of the option table
// with its default, and a bad value is a usage error (exit 2) that names the variable, before
// anything starts.
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { runCli } from "../../src/cli/run.js";
import { serviceLimitEntries } from "../../src/server/service-option-table.js";

/** Runs `contextiq serve ...args` with exactly `env`, nothing of this process's. */
async function serve(env: Record<string, string>, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["serve", ...args], {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
  });
  return { code, stdout, stderr };
}

describe("contextiq serve's limits", () => {
  it("are listed in --help, each with its default", async () => {
    const { code, stdout } = await serve({}, "--help");
    expect(code).toBe(ExitCode.ok);
    for (const entry of serviceLimitEntries) {
      const fallback =
        entry.default === undefined ? ": none" : ` ${entry.kind.toEnvText?.(entry.default)}`;
      expect(stdout).toMatch(
        new RegExp(`^  ${entry.variable}\\n {24}.*\\(default${fallback}\\)$`, "m"),
      );
    }
  });

  it.each(serviceLimitEntries)("refuse a bad $variable with exit 2, naming it", async (entry) => {
    const variable = entry.variable ?? "";
    const past = entry.kind.toEnvText?.((entry.kind.range?.max ?? 0) + 1) ?? "";
    for (const text of ["soon", past]) {
      const { code, stdout, stderr } = await serve({ [variable]: text });
      expect(code).toBe(ExitCode.usage);
      expect(stdout).toBe("");
      // Its own words, without the "[invalid_argument]" of ConnectError's message.
      expect(stderr).toMatch(new RegExp(`^error: ${variable} must be .*, got "${text}"\\n$`));
    }
  });
});
