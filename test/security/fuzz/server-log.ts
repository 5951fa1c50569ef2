/**
 * What the services print on their own: the start-up banner and nothing else while they serve. Any
 * other line during the fuzz is a finding: "<Service>/<Method> failed unexpectedly" from
 * logUnexpectedErrors (a handler error that was not a ConnectError), connect-node's "handler for
 * rpc ... failed", a stack trace.
 */
const banner = [
  /^Sessions service: /,
  /^Memory service: /,
  /^ {2}protocols: /,
  /^ {2}data: /,
  /^ {2}auth: /,
  /^ {2}health: /,
];

/**
 * Collects the unexpected lines of the child's output. The child keeps only its last lines, so
 * this is polled often (after every batch); lines are kept once each, in order.
 */
export function createLogWatch(output: () => string): { poll(): void; lines(): string[] } {
  const seen = new Set<string>();
  return {
    poll: () => {
      for (const line of output().split("\n")) {
        if (line.trim() !== "" && !banner.some((re) => re.test(line))) seen.add(line);
      }
    },
    lines: () => [...seen],
  };
}
