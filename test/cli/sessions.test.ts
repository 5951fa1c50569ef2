// `contextiq sessions` and `contextiq events`, run as a child process against real services:
// JSON and table output, both transports, and the exit code and message of each kind of failure.
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { json, useServicesForCli } from "./run-cli.js";

const { cli } = useServicesForCli();

describe("contextiq sessions and events", { timeout: 30_000 }, () => {
  it("creates a session, adds an event, and shows both as JSON and as tables", async () => {
    const userId = randomUUID();
    const created = json(
      await cli(
        "sessions",
        "create",
        "--scope",
        `user_id=${userId}`,
        "--title",
        "CLI chat",
        "--json",
      ),
    );
    expect(created).toMatchObject({ scope: { user_id: userId }, title: "CLI chat", eventCount: 0 });
    const id = String(created["id"]);

    const event = json(
      await cli(
        "events",
        "add",
        "--session",
        id,
        "--type",
        "message",
        "--data",
        '{"content":"hi"}',
        "--input-tokens",
        "10",
        "--output-tokens",
        "3",
        "--json",
      ),
    );
    expect(event).toMatchObject({
      sessionId: id,
      eventType: "message",
      data: { content: "hi" },
      inputTokens: 10,
      outputTokens: 3,
    });

    const [got, events, table] = await Promise.all([
      cli("sessions", "get", id, "--json"),
      cli("events", "list", "--session", id, "--json"),
      cli("sessions", "list", "--scope", `user_id=${userId}`),
    ]);
    // int64 totals are strings in proto3 JSON.
    expect(json(got)).toMatchObject({
      id,
      eventCount: 1,
      totalInputTokens: "10",
      totalOutputTokens: "3",
    });
    expect(json<unknown[]>(events)).toEqual([expect.objectContaining({ id: event["id"] })]);

    expect(table.code).toBe(0);
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    expect(header?.split(/\s{2,}/)).toEqual([
      "ID",
      "TITLE",
      "EVENTS",
      "TOKENS IN/OUT",
      "LAST ACTIVITY",
      "STATE",
    ]);
    expect(row).toMatch(new RegExp(`^${id}\\s+CLI chat\\s+1\\s+10/3\\s+\\S+Z\\s+active$`));
    expect(rest).toEqual([]);
  });

  it("works over gRPC too", async () => {
    const created = json(
      await cli("sessions", "create", "--transport", "grpc", "--title", "over grpc", "--json"),
    );
    const got = await cli("--transport", "grpc", "sessions", "get", String(created["id"]));
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^title\s+over grpc$/m);
    expect(got.stdout).toMatch(/^state\s+active$/m);
  });
});

describe("contextiq failures", { timeout: 30_000 }, () => {
  it("exits with the code of each kind of failure and says why in one line", async () => {
    const closedPort = await freePort();
    const [unknown, tooLong, badScope, badCommand, down] = await Promise.all([
      cli("sessions", "get", "00000000-0000-4000-8000-000000000000"),
      cli("sessions", "create", "--title", "x".repeat(501)),
      cli("sessions", "create", "--scope", "user_id"),
      cli("sessions", "frobnicate"),
      cli("sessions", "list", "--url", `http://127.0.0.1:${closedPort}`, "--timeout", "1"),
    ]);

    expect(unknown).toMatchObject({ code: 4, stdout: "" });
    expect(unknown.stderr).toBe(
      "error: session 00000000-0000-4000-8000-000000000000 not found (not_found)\n",
    );

    expect(tooLong.code).toBe(3);
    expect(tooLong.stderr).toMatch(
      /^error: title: must be at most 500 characters.*\(invalid_argument\)$/m,
    );

    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("option '--scope <key=value>' argument 'user_id' is invalid");

    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain("unknown command 'frobnicate'");

    expect(down.code).toBe(6);
    // Refused, or (on a machine loaded enough that the attempt outlives the 1 s) timed out.
    expect(down.stderr.split("\n")[0]).toMatch(
      /^error: .*(ECONNREFUSED|timed out).*\((unavailable|deadline_exceeded)\)$/,
    );
  });

  it("explains each command and the exit codes in --help", async () => {
    const [root, create] = await Promise.all([cli("--help"), cli("sessions", "create", "--help")]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain("Exit codes:");
    expect(root.stdout).toMatch(/^ {2}4 {2}NOT_FOUND$/m);
    expect(create.code).toBe(0);
    expect(create.stdout).toContain("Usage: contextiq sessions create [options]");
    expect(create.stdout).toContain("--scope <key=value>");
    expect(create.stdout).toContain("Examples:");
    expect(create.stdout).toContain("Global Options:");
  });
});

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
