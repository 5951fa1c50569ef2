import type { Input } from "./input.js";
import type { Crash, Failure, FuzzResult, Write } from "./run-fuzz.js";

/** "a 3, b 2", largest first. */
export function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => `${key} ${n}`)
    .join(", ");
}

/**
 * The failures grouped by class and reason (numbers and ids blanked out), each with its count and
 * its first input written out in full, so that it can be replayed by hand.
 */
export function describeFailures(failures: readonly Failure[], seed: number): string[] {
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const key = `${failure.input.class}: ${failure.reason.replace(/[0-9a-f-]{36}|\d+/g, "#").slice(0, 160)}`;
    groups.set(key, [...(groups.get(key) ?? []), failure]);
  }
  return [...groups.entries()].map(([key, group]) => {
    const first = group[0] as Failure;
    return `${group.length} x ${key}\n    e.g. input ${first.input.index} of seed ${seed}: ${first.reason}\n    ${describeInput(first.input)}`;
  });
}

export function describeCrashes(crashes: readonly Crash[], seed: number): string[] {
  return crashes.map((crash) => {
    const culprit =
      crash.input === undefined
        ? `not reproduced by replaying ${crash.batch} one at a time`
        : `input ${crash.input.index} of seed ${seed}: ${describeInput(crash.input)}`;
    // The output holds earlier crashes too: the end of it is this one.
    const tail = crash.output.split("\n").slice(-16).join("\n");
    return `the server exited or stopped answering; ${culprit}\n    its last output:\n${indent(tail, 6)}`;
  });
}

export function describeWrites(writes: readonly Write[], seed: number): string[] {
  return writes.map((write) => {
    const culprit =
      write.input === undefined
        ? `not reproduced by replaying ${write.batch} one at a time (a create repeated with its request_id returns the first result without writing: look for its success among the failures)`
        : `input ${write.input.index} of seed ${seed}: ${describeInput(write.input)}`;
    return `hostile input wrote ${write.tables.join("; ")}; ${culprit}`;
  });
}

/** One line on the connections the server kept open after its GOAWAY, with an example. */
export function describeOpenAfterGoaway(result: FuzzResult): string[] {
  const [first] = result.openAfterGoaway;
  if (first === undefined) return [];
  return [
    `${result.openAfterGoaway.length} connections left open after a GOAWAY for a connection error (reported, not failed), e.g. input ${first.index}: ${describeInput(first)}`,
  ];
}

/** An input's label and request, bodies shown as text where printable, as hex otherwise. */
export function describeInput(input: Input): string {
  const { request } = input;
  if (request.wire === "raw") return `${input.label}\n    bytes: ${show(request.bytes)}`;
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  const path = request.path.length > 300 ? `${request.path.slice(0, 300)}...` : request.path;
  return `${input.label}\n    ${request.wire} ${request.method} ${path} [${headers}] body: ${show(request.body)}`;
}

/** The summary paragraph for the test output (and the issue's closing note). */
export function summarize(facts: {
  seed: number;
  result: FuzzResult;
  durationMs: number;
  rowsBefore: number;
  rowsAfter: number;
  changedTables: readonly string[];
  unexpectedLogLines: number;
}): string {
  const { seed, result } = facts;
  return [
    `fuzz: seed ${seed} (FUZZ_SEED=${seed} replays it); ${result.tried} inputs in ${(facts.durationMs / 1000).toFixed(1)} s`,
    `${result.stoppedEarly ? ` (${result.stoppedEarly})` : ""};`,
    ` by class: ${formatCounts(result.byClass)};`,
    ` answers: ${formatCounts(result.byOutcome)};`,
    ` crashes ${result.crashes.length}; writes ${result.writes.length}; failures ${result.failures.length};`,
    ` rows before ${facts.rowsBefore}, after ${facts.rowsAfter}`,
    facts.changedTables.length > 0
      ? ` (changed: ${facts.changedTables.join("; ")})`
      : " (no table changed)",
    `; unexpected server log lines ${facts.unexpectedLogLines}`,
    `; connections left open after a GOAWAY for a connection error ${result.openAfterGoaway.length}.`,
  ].join("");
}

function show(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 240);
  const more = bytes.length > head.length ? ` ... (${bytes.length} bytes)` : "";
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0d || b === 0x0a);
  if (printable) return `${JSON.stringify(Buffer.from(head).toString("latin1"))}${more}`;
  return `hex ${Buffer.from(head).toString("hex")}${more}`;
}

function indent(text: string, spaces: number): string {
  return text
    .split("\n")
    .map((line) => `${" ".repeat(spaces)}${line}`)
    .join("\n");
}
