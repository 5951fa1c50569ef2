// `npm start` runs `contextiq demo`: the whole flow, start to exit, as a new user sees it.
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("contextiq demo", () => {
  it("starts the services, runs both workers over gRPC and JSON, searches what they stored, prints a summary and exits 0", async () => {
    // The demo starts services of its own; these URLs are not used.
    const { code, stdout, stderr } = await runCli(
      { sessionsUrl: "http://127.0.0.1:1", memoryUrl: "http://127.0.0.1:1" },
      "demo",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("== over grpc");
    expect(stdout).toContain("== over json");
    expect(stdout).toContain("[identity] User's name is Ada");
    // What the workers stored is found by text.
    expect(stdout.match(/^search by text "python scripting": .*$/gm)).toEqual([
      expect.stringMatching(/: User prefers Python for scripting \(similarity 0\.\d\d\)$/),
      expect.stringMatching(/: User prefers Python for scripting \(similarity 0\.\d\d\)$/),
    ]);
    const rows = stdout.trim().split("\n").slice(-2);
    for (const [i, transport] of ["grpc", "json"].entries()) {
      // transport, sessions, events, extracted, consolidated (from n), calls, retries, p50 ms
      expect(rows[i]).toMatch(
        new RegExp(`^${transport}\\s+1\\s+5\\s+5\\s+1 \\(from 3\\)\\s+\\d+\\s+0\\s+[\\d.]+\\s*$`),
      );
    }
  }, 60_000);
});
