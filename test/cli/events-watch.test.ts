// `contextiq events watch`, run as a child process against real services: the backlog, then each
// new event, until the session ends; its filters and JSON Lines; NOT_FOUND; Ctrl-C; and the
// reconnections it reports on stderr.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SessionsServiceClient } from "../../src/client/sessions-client.js";
import { startCuttingRelay } from "../support/cutting-relay.js";
import { startCli } from "./cli-process.js";
import { useServicesForCli } from "./run-cli.js";

const { cli, services } = useServicesForCli();

/** The lines of `output`, without the last newline. */
const lines = (output: string) => output.split("\n").filter((line) => line !== "");

describe("contextiq events watch", { timeout: 30_000 }, () => {
  it("prints the backlog, then an event stored while it runs, and exits 0 when the session ends", async () => {
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    const sessionId = (await sessions.createSession({})).id;
    const backlog = [
      await sessions.createEvent({ sessionId, eventType: "message", data: { content: "hi" } }),
      await sessions.createEvent({ sessionId, eventType: "tool_call", inputTokens: 3 }),
    ];
    const watch = startCli(services(), "events", "watch", sessionId);
    await watch.waitFor((out) => lines(out).length === 2);

    const live = await sessions.createEvent({
      sessionId,
      eventType: "message",
      data: { content: "still there?" },
    });
    await watch.waitFor((out) => lines(out).length === 3);
    await sessions.endSession(sessionId);

    expect(await watch.exited()).toEqual({ code: 0, signal: null });
    expect(watch.stderr()).toBe("");
    const printed = lines(watch.stdout());
    expect(printed.map((line) => line.split("  ")[0])).toEqual([...backlog, live].map((e) => e.id));
    // The columns of `events list`, on one line each.
    expect(printed[0]).toMatch(
      new RegExp(
        `^${backlog[0]?.id}  message  0/0  \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z  \\{"content":"hi"\\}$`,
      ),
    );
    expect(printed[1]).toMatch(/ {2}tool_call {2}3\/0 {2}.+ {2}\{\}$/);
  });

  it("prints one JSON object per line with --json, from --after, of the --type asked", async () => {
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    const sessionId = (await sessions.createSession({})).id;
    const a = await sessions.createEvent({ sessionId, eventType: "message" });
    await sessions.createEvent({ sessionId, eventType: "tool_call" });
    const c = await sessions.createEvent({ sessionId, eventType: "message", data: { n: 1 } });
    const d = await sessions.createEvent({ sessionId, eventType: "message" });
    await sessions.endSession(sessionId);

    const run = await cli(
      "events",
      "watch",
      sessionId,
      "--after",
      a.id,
      "--type",
      "message",
      "--json",
    );

    expect(run).toMatchObject({ code: 0, stderr: "" });
    const printed = lines(run.stdout).map((line) => JSON.parse(line));
    expect(printed).toEqual([
      expect.objectContaining({ id: c.id, sessionId, eventType: "message", data: { n: 1 } }),
      expect.objectContaining({ id: d.id, eventType: "message", inputTokens: 0 }),
    ]);
  });

  it("exits with 4 for an unknown session", async () => {
    const run = await cli("events", "watch", randomUUID());
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: .*not found.* \(not_found\)\n$/);
  });

  it("exits with 6 once --timeout, a deadline for the whole watch, has passed", async () => {
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    const sessionId = (await sessions.createSession({})).id;
    const run = await cli("events", "watch", sessionId, "--timeout", "0.5");
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/\(deadline_exceeded\)\n$/);
  });

  it("exits with 2 without a session", async () => {
    const run = await cli("events", "watch");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing required argument 'session'/);
  });

  it("stops at once with 130 on Ctrl-C, printing no error", async () => {
    await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
    const sessionId = (await sessions.createSession({})).id;
    await sessions.createEvent({ sessionId, eventType: "message" });
    const watch = startCli(services(), "events", "watch", sessionId, "--json");
    await watch.waitFor((out) => lines(out).length === 1);

    const sent = performance.now();
    watch.kill("SIGINT");

    expect(await watch.exited()).toEqual({ code: 130, signal: null });
    expect(performance.now() - sent).toBeLessThan(2_000);
    expect(watch.stderr()).toBe("");
  });

  it("says each reconnection on stderr, one line each, and prints no event twice", async () => {
    const relay = await startCuttingRelay(services().sessionsUrl);
    try {
      await using sessions = new SessionsServiceClient({ baseUrl: services().sessionsUrl });
      const sessionId = (await sessions.createSession({})).id;
      const made = [(await sessions.createEvent({ sessionId, eventType: "message" })).id];
      const watch = startCli(services(), "events", "watch", sessionId, "--url", relay.url);
      await watch.waitFor((out) => lines(out).length === 1);

      relay.cut();
      made.push((await sessions.createEvent({ sessionId, eventType: "message" })).id);
      await watch.waitFor((out) => lines(out).length === 2);
      await sessions.endSession(sessionId);

      expect(await watch.exited()).toEqual({ code: 0, signal: null });
      expect(lines(watch.stdout()).map((line) => line.split("  ")[0])).toEqual(made);
      const said = lines(watch.stderr());
      expect(said.length).toBeGreaterThanOrEqual(1);
      for (const line of said) {
        expect(line).toMatch(/^reconnecting in \d+ ms \(attempt \d+\): .+ \([a-z_]+\)$/);
      }
    } finally {
      await relay.close();
    }
  });
});
